{#- kmeans_sql, step 4: every training customer in model space. One column z_<i> per requested
    numeric feature (kmeans_sql_settings order); a dropped feature is 0 for everyone, so it adds
    nothing to any distance and the column list stays fixed whatever the data. The expression is
    the one int_customers_segmented scores with (macro kmeans_sql_scaled_value), so training and
    scoring compute the same values. Grain: one row per customer of the training sample. -#}
{{ config(enabled=setting('segmentation', 'algorithm') == 'kmeans_sql') }}
{%- set features = kmeans_sql_settings().features -%}

with

training as (

    select * from {{ ref('int_customer_features_training_sample') }}

),

scaling as (

    select * from {{ ref('kmeans_sql_scaling') }}

),

parameters as (

    {{ kmeans_sql_scaling_parameters('scaling', features, 'is_kept', 'is_kept') }}

),

final as (

    select
        training.customer_id,
        {%- for feature in features %}
            case
                when parameters.is_kept_{{ feature.index }} = 1
                    then {{ kmeans_sql_scaled_value(
                        'training.' ~ adapter.quote(feature.name), 'parameters.fill_' ~ feature.index,
                        'parameters.center_' ~ feature.index, 'parameters.scale_' ~ feature.index,
                        'parameters.clip_limit', feature.transform) }}
                else 0.0
            end as z_{{ feature.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from training
    cross join parameters

)

select * from final
