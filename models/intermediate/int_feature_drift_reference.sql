{#- The distribution of each clustering feature among this run's customers, as the reference a
    model fitted in this run stores (record type drift_reference) and later runs are compared
    with (int_feature_drift): the upper edges of the deciles 1 to 9 and the customers in each bin
    (bin 0: missing values; bin 10: above every edge). Grain: one row per feature and bin. -#}
{%- set features = drift_features() -%}
{%- set bins = 10 -%}

with

features as (

    select * from {{ ref('int_customer_features') }}

),

long_values as (

    {{ features_long('features', features) }}

),

deciles as (

    select
        feature,
        feature_value,
        ntile({{ bins }}) over (partition by feature order by feature_value) as decile
    from long_values
    where feature_value is not null

),

-- One row per feature with the upper edge of deciles 1 to 9 (null when there are fewer values
-- than that); the top bin needs no edge.
bin_edges as (

    select
        feature,
        {%- for bin in range(1, bins) %}
            max(case when decile = {{ bin }} then feature_value end) as upper_edge_{{ bin }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from deciles
    group by feature

),

binned as (

    select
        long_values.feature,
        {{ drift_bin('long_values.feature_value', 'bin_edges', bins) }} as bin
    from long_values
    left join bin_edges
        on long_values.feature = bin_edges.feature

),

bin_counts as (

    select
        feature,
        bin,
        count(*) as reference_customers
    from binned
    group by feature, bin

),

final as (

    select
        bin_counts.feature,
        bin_counts.bin,
        case
            {%- for bin in range(1, bins) %}
                when bin_counts.bin = {{ bin }} then bin_edges.upper_edge_{{ bin }}
            {%- endfor %}
        end as upper_edge,
        bin_counts.reference_customers
    from bin_counts
    left join bin_edges
        on bin_counts.feature = bin_edges.feature

)

select * from final
