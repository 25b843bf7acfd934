{#- Each segmented customer's top var recommendations_per_customer product categories they have
    not bought yet. Ranked by the share of the customer's segment that buys the category (what
    customers like them buy); a category none of the segment bought, or any category for a
    segment smaller than var recommendation_min_segment_customers, falls back to its share of
    all customers (popularity), after the segment's own. Ties by category name.
    Empty when the order_items or products input is absent (docs/activation.md).
    Grain: one row per customer and recommendation_rank. -#}
{%- set per_customer = validated_number_var('recommendations_per_customer', minimum=1, whole=true) -%}
{%- set min_segment_customers = validated_number_var('recommendation_min_segment_customers', minimum=1, whole=true) -%}

with

customer_segments as (

    select
        customer_id,
        segment_id,
        segment_name,
        as_of_date
    from {{ ref('customer_segments') }}

),

affinity as (

    select * from {{ ref('segment_category_affinity') }}

),

categories_bought as (

    select
        customer_id,
        category
    from {{ ref('int_customers_categories_aggregated') }}

),

candidates as (

    select
        customer_segments.customer_id,
        customer_segments.segment_id,
        customer_segments.segment_name,
        customer_segments.as_of_date,
        affinity.category,
        affinity.buyer_share,
        affinity.buyer_lift,
        affinity.overall_buyer_share,
        affinity.segment_customers >= {{ min_segment_customers }}
        and affinity.customers_buying > 0 as is_segment_affinity
    from customer_segments
    inner join affinity
        on customer_segments.segment_id = affinity.segment_id
    left join categories_bought
        on
            customer_segments.customer_id = categories_bought.customer_id
            and affinity.category = categories_bought.category
    where categories_bought.category is null

),

scored as (

    select
        *,
        case when is_segment_affinity then buyer_share else overall_buyer_share end as affinity_score,
        case when is_segment_affinity then 'segment_affinity' else 'popularity' end as recommendation_source
    from candidates

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by
                case when is_segment_affinity then 0 else 1 end asc,
                affinity_score desc,
                category asc
        ) as recommendation_rank
    from scored

),

final as (

    select
        customer_id,
        -- One type on every engine (Spark's row_number is an int), as the contract declares.
        cast(recommendation_rank as {{ dbt.type_bigint() }}) as recommendation_rank,
        category,
        segment_id,
        segment_name,
        recommendation_source,
        affinity_score,
        case
            when is_segment_affinity
                then {{ dbt.concat([
                    "cast(cast(round(buyer_share * 100, 0) as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ ")",
                    "'% of '",
                    "segment_name",
                    "' customers buy '",
                    "category",
                    "' ('",
                    "cast(cast(round(buyer_lift, 1) as decimal(10, 1)) as " ~ dbt.type_string() ~ ")",
                    "'x all customers); not bought yet'",
                ]) }}
            else {{ dbt.concat([
                "'popular: '",
                "cast(cast(round(overall_buyer_share * 100, 0) as " ~ dbt.type_int() ~ ") as " ~ dbt.type_string() ~ ")",
                "'% of all customers buy '",
                "category",
                "'; not bought yet'",
            ]) }}
        end as reason,
        as_of_date
    from ranked
    where recommendation_rank <= {{ per_customer }}

)

select * from final
