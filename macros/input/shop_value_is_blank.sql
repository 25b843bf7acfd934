{#- True when an input column holds no value: no typed reading and a null or blank text. -#}
{% macro shop_value_is_blank(column) -%}
    ({{ column }}__value is null and nullif(trim({{ column }}__text), '') is null)
{%- endmacro %}
