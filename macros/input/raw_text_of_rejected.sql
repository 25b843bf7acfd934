{#- The raw text columns of a checked table, kept only where the row is rejected (null for a
    kept row, whose typed columns hold its values), each read back from the input's two readings
    (shop_value_raw_text). Writing a table is mostly compressing its text, and the largest inputs
    are nearly all kept rows: their text would be a second copy of every value. One line per
    column, each ending in a comma. -#}
{% macro raw_text_of_rejected(raw_columns, is_rejected) -%}
    {%- for raw_column in raw_columns %}
        case when {{ is_rejected }} then {{ shop_value_raw_text(raw_column) }} end as {{ raw_column }},
    {%- endfor %}
{%- endmacro %}
