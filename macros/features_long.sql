{#- One row per customer and feature: (feature, feature_value as a double) for each of the given
    numeric features of a relation. The drift models bin every feature the same way. -#}
{% macro features_long(relation, features) -%}
    {%- for feature in features %}
        select
            '{{ feature }}' as feature,
            cast({{ feature }} as {{ type_double() }}) as feature_value
        from {{ relation }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
