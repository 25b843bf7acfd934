{#- Money is a fixed-point decimal: DuckDB's parallel sums of doubles differ in the last bits
    between runs, enough to move customers between segments. -#}
{% macro type_money() -%}
    decimal(18, 2)
{%- endmacro %}

{#- Unit prices keep four decimals: wholesale catalogues price items in fractions of a cent. -#}
{% macro type_unit_price() -%}
    decimal(18, 4)
{%- endmacro %}
