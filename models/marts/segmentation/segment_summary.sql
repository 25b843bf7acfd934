with

customer_segments as (

    select * from {{ ref('customer_segments') }}

),

segments as (

    select * from {{ ref('segment_model_segments') }}

),

profiles as (

    select * from {{ ref('int_segment_feature_profiles') }}

),

per_segment as (

    select
        segment_id,
        count(*) as customers,
        sum(monetary) as revenue,
        avg(cast(recency_days as {{ type_double() }})) as avg_recency_days,
        {{ percentile_median('recency_days') }} as median_recency_days,
        avg(cast(frequency as {{ type_double() }})) as avg_frequency,
        {{ percentile_median('frequency') }} as median_frequency,
        avg(cast(monetary as {{ type_double() }})) as avg_monetary,
        {{ percentile_median('monetary') }} as median_monetary
    from customer_segments
    group by segment_id

),

totals as (

    select
        count(*) as all_customers,
        sum(monetary) as all_revenue
    from customer_segments

),

ranked_profiles as (

    select
        segment_id,
        feature,
        z_score,
        row_number() over (
            partition by segment_id order by abs(z_score) desc, feature
        ) as importance_rank
    from profiles
    -- A segment is described by what its customers do and the attributes the shop may act on,
    -- never by a sensitive attribute (docs/input.md), nor by a feature most of
    -- it has no value for.
    where z_score is not null and not is_sensitive and is_defined_for_segment

),

distinguishing as (

    select
        segment_id,
        {{ dbt.listagg(
            "feature || ' ' || case when z_score >= 0 then '+' else '' end || cast(round(z_score, 2) as " ~ dbt.type_string() ~ ")",
            "', '",
            "order by importance_rank") }} as distinguishing_features
    from ranked_profiles
    where importance_rank <= 3
    group by segment_id

),

key_z_scores as (

    select
        segment_id,
        max(case when feature = 'recency_days' then z_score end) as recency_z_score,
        max(case when feature = 'frequency' then z_score end) as frequency_z_score,
        max(case when feature = 'monetary' then z_score end) as monetary_z_score
    from profiles
    group by segment_id

),

final as (

    select
        per_segment.segment_id,
        segments.segment_name,
        segments.description,
        per_segment.customers,
        cast(per_segment.customers as {{ type_double() }}) / totals.all_customers as share_of_customers,
        case
            when totals.all_revenue != 0
                then cast(per_segment.revenue as {{ type_double() }}) / totals.all_revenue
        end as share_of_revenue,
        -- A sum of decimal(18, 2) is decimal(38, 2) on DuckDB, (28, 2) on Spark: one type.
        cast(per_segment.revenue as decimal(38, 2)) as revenue,
        {{ sql_string_literal(currency_code()) }} as currency_code,
        per_segment.avg_recency_days,
        per_segment.median_recency_days,
        per_segment.avg_frequency,
        per_segment.median_frequency,
        per_segment.avg_monetary,
        per_segment.median_monetary,
        distinguishing.distinguishing_features,
        key_z_scores.recency_z_score,
        key_z_scores.frequency_z_score,
        key_z_scores.monetary_z_score
    from per_segment
    cross join totals
    inner join segments
        on per_segment.segment_id = segments.segment_id
    left join distinguishing
        on per_segment.segment_id = distinguishing.segment_id
    left join key_z_scores
        on per_segment.segment_id = key_z_scores.segment_id

)

select * from final
