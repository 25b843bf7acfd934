{#- One row per model_id from long artifact rows (record types metric and parameter): the
    algorithm, as_of_date and every headline metric as columns. Shared by the current model's
    metrics and the registry of every model. -#}
{% macro pivot_model_metrics(artifacts_cte) -%}
    {%- set metric_names = [
        'silhouette', 'davies_bouldin', 'calinski_harabasz', 'stability', 'holdout_ari',
        'min_segment_share', 'inertia', 'scoring_agreement', 'fit_seconds', 'outlier_share',
        'reconstruction_mse', 'ari_vs_kmeans', 'scaled_space_agreement'] -%}
    {%- set count_names = [
        'k', 'training_customers', 'fit_sample_customers', 'dimensions', 'segments_matched',
        'segments_new', 'segments_vanished'] -%}
    select
        model_id,
        max(case when metric = 'algorithm' then replace(text_value, '"', '') end) as algorithm,
        cast(max(case when metric = 'as_of_date' then text_value end) as date) as as_of_date,
        max(case when metric = 'previous_model_id' then replace(text_value, '"', '') end) as previous_model_id,
        {%- for name in count_names %}
        cast(max(case when metric = '{{ name }}' then value end) as {{ dbt.type_int() }}) as {{ name }},
        {%- endfor %}
        {%- for name in metric_names %}
        max(case when metric = '{{ name }}' then value end) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ artifacts_cte }}
    where record_type in ('metric', 'parameter')
    group by model_id
{%- endmacro %}
