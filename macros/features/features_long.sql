{#- One row per customer and feature: (feature, feature_value as a double) for each of the given
    numeric features of a relation; no rows (typed) when there is no feature. The drift models
    bin every feature the same way. -#}
{% macro features_long(relation, features) -%}
    {%- if not features %}
        select
            cast(null as {{ dbt.type_string() }}) as feature,
            cast(null as {{ type_double() }}) as feature_value
        from {{ relation }}
        where 1 = 0
    {%- endif %}
    {%- for feature in features %}
        select
            '{{ feature }}' as feature,
            cast({{ feature }} as {{ type_double() }}) as feature_value
        from {{ relation }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
