{#- Unit prices keep four decimals: wholesale catalogues price items in fractions of a cent. -#}
{% macro type_unit_price() -%}
    decimal(18, 4)
{%- endmacro %}
