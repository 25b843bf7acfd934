{#- Population stability index (PSI) of each clustering feature between the current model's
    training date and this run. Bins are the deciles of the training values (plus one bin for
    missing values); PSI = sum over bins of (now - then) * ln(now / then), with shares floored at
    0.0001 so an empty bin does not give an infinite index. Grain: one row per feature.
    Only the clustering features that are numeric columns of the feature table are compared (the
    model leaves any other name out too, as "not a column of the feature table"): a misspelt or
    undeclared customer attribute must not break monitoring. -#}
{%- set features = [] -%}
{%- for feature in var('clustering_numeric_features') or [] if feature in customer_numeric_features() -%}
    {%- do features.append(feature) -%}
{%- endfor -%}
{#- Deciles: bins 1 to 10, each but the top one bounded by an upper edge. -#}
{%- set bins = 10 -%}

with

history as (

    select * from {{ ref('int_customer_features_history') }}

),

current_model as (

    select as_of_date as training_as_of_date from {{ ref('segment_model_metrics') }}

),

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

compared_dates as (

    select
        'training' as sample_name,
        training_as_of_date as cutoff_date
    from current_model
    union all
    select
        'current' as sample_name,
        as_of_date as cutoff_date
    from run_date

),

-- Only the two compared dates are unpivoted: the history grows by a date every run. One join
-- reads the history once; a model fitted today puts the same rows in both samples.
compared_rows as (

    select
        compared_dates.sample_name,
        history.*
    from history
    inner join compared_dates
        on history.cutoff_date = compared_dates.cutoff_date

),

long_values as (
    {%- if not features %}

        select
            sample_name,
            cast(null as {{ dbt.type_string() }}) as feature,
            cast(null as {{ type_double() }}) as feature_value
        from compared_rows
        where 1 = 0
    {%- endif %}
    {%- for feature in features %}

        select
            sample_name,
            '{{ feature }}' as feature,
            cast({{ feature }} as {{ type_double() }}) as feature_value
        from compared_rows
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

training_deciles as (

    select
        feature,
        feature_value,
        ntile({{ bins }}) over (partition by feature order by feature_value) as decile
    from long_values
    where sample_name = 'training' and feature_value is not null

),

-- One row per feature with the upper edge of deciles 1 to 9 (null when the training sample has
-- fewer than that many values); the top bin needs no edge.
bin_edges as (

    select
        feature,
        {%- for bin in range(1, bins) %}
            max(case when decile = {{ bin }} then feature_value end) as upper_edge_{{ bin }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from training_deciles
    group by feature

),

binned as (

    {#- Both samples are binned by the same edges: the lowest bin whose upper edge holds the
        value, the top bin above every edge, bin 0 for missing values. A case over the edges
        instead of a range join: the join matched each value to up to ten bins. -#}

    select
        long_values.sample_name,
        long_values.feature,
        case
            when long_values.feature_value is null then 0
            {%- for bin in range(1, bins) %}
                when long_values.feature_value <= bin_edges.upper_edge_{{ bin }} then {{ bin }}
            {%- endfor %}
            else {{ bins }}
        end as bin
    from long_values
    left join bin_edges
        on long_values.feature = bin_edges.feature

),

bin_counts as (

    select
        feature,
        bin,
        sum(case when sample_name = 'training' then 1 else 0 end) as training_customers,
        sum(case when sample_name = 'current' then 1 else 0 end) as current_customers
    from binned
    group by feature, bin

),

sample_sizes as (

    select
        feature,
        sum(training_customers) as training_total,
        sum(current_customers) as current_total
    from bin_counts
    group by feature

),

bin_shares as (

    select
        bin_counts.feature,
        bin_counts.bin,
        greatest(cast(bin_counts.training_customers as {{ type_double() }}) / nullif(sample_sizes.training_total, 0), 0.0001)
            as training_share,
        greatest(cast(bin_counts.current_customers as {{ type_double() }}) / nullif(sample_sizes.current_total, 0), 0.0001)
            as current_share
    from bin_counts
    inner join sample_sizes
        on bin_counts.feature = sample_sizes.feature

),

final as (

    select
        feature,
        -- Rounded: the order of a parallel sum changes the last bits from run to run.
        round(sum((current_share - training_share) * ln(current_share / training_share)), 12) as psi
    from bin_shares
    group by feature

)

select * from final
