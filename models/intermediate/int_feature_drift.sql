{#- Population stability index (PSI) of each clustering feature between the customers the current
    model was fitted on and this run's customers. The model stores its training population's
    decile edges and customers per bin (ml.segment_model_drift_reference, bin 0 for missing
    values); this run's customers are binned by the same edges. PSI = sum over bins of
    (now - then) * ln(now / then), with shares floored at 0.0001 so an empty bin does not give an
    infinite index. customer_segmentation.segmentation.model_choice judges a stored model the same way before
    it is kept. Grain: one row per feature. -#}
{%- set features = drift_features() -%}
{%- set bins = 10 -%}

with

features as (

    select * from {{ ref('int_customer_features') }}

),

-- Only the clustering features: a reference may hold others ('' keeps the list valid when empty).
reference as (

    select * from {{ ref('segment_model_drift_reference') }}
    where feature in ({% for feature in features %}'{{ feature }}', {% endfor %}'')

),

bin_edges as (

    select
        feature,
        {%- for bin in range(1, bins) %}
            max(case when bin = {{ bin }} then upper_edge end) as upper_edge_{{ bin }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from reference
    group by feature

),

long_values as (

    {{ features_long('features', features) }}

),

-- Only the features the model has a reference for.
binned as (

    select
        long_values.feature,
        {{ drift_bin('long_values.feature_value', 'bin_edges', bins) }} as bin
    from long_values
    inner join bin_edges
        on long_values.feature = bin_edges.feature

),

current_counts as (

    select
        feature,
        bin,
        count(*) as current_customers
    from binned
    group by feature, bin

),

bin_counts as (

    select
        coalesce(reference.feature, current_counts.feature) as feature,
        coalesce(reference.bin, current_counts.bin) as bin,
        coalesce(reference.reference_customers, 0) as training_customers,
        coalesce(current_counts.current_customers, 0) as current_customers
    from reference
    full outer join current_counts
        on
            reference.feature = current_counts.feature
            and reference.bin = current_counts.bin

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
        greatest(coalesce(cast(bin_counts.training_customers as {{ type_double() }}) / nullif(sample_sizes.training_total, 0), 0), 0.0001)
            as training_share,
        greatest(coalesce(cast(bin_counts.current_customers as {{ type_double() }}) / nullif(sample_sizes.current_total, 0), 0), 0.0001)
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
