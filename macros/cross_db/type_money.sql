{#- Money is a fixed-point decimal: DuckDB's parallel sums of doubles differ in the last bits
    between runs, enough to move customers between segments. -#}
{% macro type_money() -%}
    decimal(18, 2)
{%- endmacro %}
