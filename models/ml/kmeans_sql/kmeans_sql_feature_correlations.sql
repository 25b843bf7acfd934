{#- kmeans_sql, step 2: the Pearson correlation of every pair of screened-in features, in model
    space (scaled and clipped), rounded to 6 decimals as drop_correlated_features rounds it (so
    floating-point noise cannot move a pair across the threshold). Pairs with a screened-out
    feature have r = 0. Computed in long form (one row per customer and pair), which keeps the
    query small for Spark's planner. Grain: one row per pair of features
    (first_index < second_index). -#}
{{ config(enabled=setting('segmentation', 'algorithm') == 'kmeans_sql') }}
{%- set features = kmeans_sql_settings().features -%}

with

training as (

    select * from {{ ref('int_customer_features_training_sample') }}

),

feature_stats as (

    select * from {{ ref('kmeans_sql_feature_stats') }}

),

parameters as (

    {{ kmeans_sql_scaling_parameters('feature_stats', features, 'screen_reason is null', 'is_screened_in') }}

),

scaled as (

    select
        training.customer_id,
        {%- for feature in features %}
            case
                when parameters.is_screened_in_{{ feature.index }} = 1
                    then {{ kmeans_sql_scaled_value(
                        'training.' ~ adapter.quote(feature.name), 'parameters.fill_' ~ feature.index,
                        'parameters.center_' ~ feature.index, 'parameters.scale_' ~ feature.index,
                        'parameters.clip_limit', feature.transform) }}
            end as z_{{ feature.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from training
    cross join parameters

),

scaled_long as (

    select
        scaled.customer_id,
        feature_stats.feature_index,
        case feature_stats.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then scaled.z_{{ feature.index }}
            {%- endfor %}
        end as scaled_value
    from scaled
    cross join feature_stats

),

pairs as (

    select
        first_values.feature_index as first_index,
        second_values.feature_index as second_index,
        first_values.scaled_value as first_value,
        second_values.scaled_value as second_value
    from scaled_long as first_values
    inner join scaled_long as second_values
        on
            first_values.customer_id = second_values.customer_id
            and first_values.feature_index < second_values.feature_index

),

final as (

    select
        first_index,
        second_index,
        coalesce(round(corr(first_value, second_value), 6), 0) as pearson_r,
        count(*) as correlated_customers
    from pairs
    group by first_index, second_index

)

select * from final
