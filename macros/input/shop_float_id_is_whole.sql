{#- Whether a float id (pandas writes a whole-number id column with a gap as doubles) is the whole
    number it stands for: 1001.0 is the id 1001. Below 10^15, where a double still holds every
    whole number exactly. The ingest view's text (shop_column) and typed reading
    (shop_column_value) of such a column both follow this rule, so that they agree. -#}
{% macro shop_float_id_is_whole(quoted) -%}
    {{ quoted }} = floor({{ quoted }}) and abs({{ quoted }}) < 1e15
{%- endmacro %}
