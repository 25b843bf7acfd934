{#- The scaling of every kmeans_sql feature pivoted into one row, for a cross join onto the
    customers: fill_<i>, center_<i> and scale_<i> per feature of `features` (kmeans_sql_settings),
    <kept_flag>_<i> (1 where `kept_condition` holds for the feature, else 0) and clip_limit.
    source_relation has one row per feature: feature_index, fill_value, center, scale,
    clip_limit and the columns kept_condition reads (kmeans_sql_feature_stats, kmeans_sql_scaling).
    Renders a whole select statement. -#}
{% macro kmeans_sql_scaling_parameters(source_relation, features, kept_condition, kept_flag) -%}
    select
        {%- for feature in features %}
            max(case when feature_index = {{ feature.index }} then fill_value end) as fill_{{ feature.index }},
            max(case when feature_index = {{ feature.index }} then center end) as center_{{ feature.index }},
            max(case when feature_index = {{ feature.index }} then scale end) as scale_{{ feature.index }},
            max(case when feature_index = {{ feature.index }} and {{ kept_condition }} then 1 else 0 end)
                as {{ kept_flag }}_{{ feature.index }},
        {%- endfor %}
        max(clip_limit) as clip_limit
    from {{ source_relation }}
{%- endmacro %}
