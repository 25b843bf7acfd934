{#- Population stability index (PSI) of each clustering feature between the current model's
    training date and this run. Bins are the deciles of the training values (plus one bin for
    missing values); PSI = sum over bins of (now - then) * ln(now / then), with shares floored at
    0.0001 so an empty bin does not give an infinite index. Grain: one row per feature. -#}
{%- set features = var('clustering_numeric_features') -%}

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

long_values as (
    {%- for feature in features %}

        select
            '{{ feature }}' as feature,
            history.cutoff_date,
            history.customer_id,
            cast(history.{{ feature }} as {{ type_double() }}) as feature_value
        from history
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

training_values as (

    select long_values.*
    from long_values
    inner join current_model
        on long_values.cutoff_date = current_model.training_as_of_date

),

current_values as (

    select long_values.*
    from long_values
    inner join run_date
        on long_values.cutoff_date = run_date.as_of_date

),

training_deciles as (

    select
        feature,
        feature_value,
        ntile(10) over (partition by feature order by feature_value) as decile
    from training_values
    where feature_value is not null

),

bin_edges as (

    select
        feature,
        decile as bin,
        max(feature_value) as upper_edge
    from training_deciles
    group by feature, decile

),

binned as (

    {#- Both samples are binned by the same edges: the lowest bin whose upper edge holds the
        value, the top bin above every edge, bin 0 for missing values. -#}

    select
        sample_values.sample_name,
        sample_values.feature,
        sample_values.customer_id,
        case
            when sample_values.feature_value is null then 0
            else coalesce(min(bin_edges.bin), 10)
        end as bin
    from (
        select
            'training' as sample_name,
            training_values.*
        from training_values
        union all
        select
            'current' as sample_name,
            current_values.*
        from current_values
    ) as sample_values
    left join bin_edges
        on
            sample_values.feature = bin_edges.feature
            and sample_values.feature_value <= bin_edges.upper_edge
    group by sample_values.sample_name, sample_values.feature, sample_values.customer_id, sample_values.feature_value

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
        sum((current_share - training_share) * ln(current_share / training_share)) as psi
    from bin_shares
    group by feature

)

select * from final
