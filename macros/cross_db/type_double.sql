{#- A 64-bit float. type_double() renders `float`, which DuckDB reads as a 32-bit REAL: shares
    and rates would lose precision. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customer_segmentation')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
