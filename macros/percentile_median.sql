{#- The median as an aggregate. Engines spell it differently: DuckDB has median(), Spark
    percentile_approx/percentile, Postgres an ordered-set aggregate. -#}
{% macro percentile_median(expression) -%}
    {{ return(adapter.dispatch('percentile_median', 'customer_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__percentile_median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile_median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__percentile_median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
