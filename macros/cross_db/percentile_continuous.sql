{#- A continuous percentile (linear interpolation between the two nearest values, as numpy's
    default) as an aggregate, fraction a literal in [0, 1]. Exact on every engine listed. -#}
{% macro percentile_continuous(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_continuous', 'customer_segmentation')(expression, fraction)) }}
{%- endmacro %}

{#- Postgres, Snowflake, Redshift: the ordered-set aggregate of standard SQL. -#}
{% macro default__percentile_continuous(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{#- DuckDB: quantile_cont (it also accepts the ordered-set form, but sqlfluff's DuckDB dialect
    does not). -#}
{% macro duckdb__percentile_continuous(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- Spark: percentile() is exact (it keeps every value of the group in memory);
    percentile_approx would bound the memory on very large groups at some precision. -#}
{% macro spark__percentile_continuous(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}
