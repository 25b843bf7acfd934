{#- An id of an input column as text, null when missing or blank: a whole number read typed is
    written as its digits (what its text is); a text id is trimmed. -#}
{% macro shop_value_id(column) -%}
    coalesce(
        cast({{ column }}__value as {{ dbt.type_string() }}),
        nullif(trim({{ column }}__text), '')
    )
{%- endmacro %}
