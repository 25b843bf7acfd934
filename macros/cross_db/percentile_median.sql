{#- The median as an aggregate. Engines spell it differently: DuckDB has median(), Spark
    percentile_approx/percentile, Postgres an ordered-set aggregate. The value is taken as a
    double on every engine: DuckDB's median of a decimal is a decimal of the same scale (the
    median of 100.00 and 100.01 comes out as 100.00), Spark's percentile a double (100.005). -#}
{% macro percentile_median(expression) -%}
    {{ return(adapter.dispatch('percentile_median', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__percentile_median(expression) -%}
    percentile_cont(0.5) within group (order by cast({{ expression }} as {{ type_double() }}))
{%- endmacro %}

{% macro duckdb__percentile_median(expression) -%}
    median(cast({{ expression }} as {{ type_double() }}))
{%- endmacro %}

{% macro spark__percentile_median(expression) -%}
    percentile(cast({{ expression }} as {{ type_double() }}), 0.5)
{%- endmacro %}
