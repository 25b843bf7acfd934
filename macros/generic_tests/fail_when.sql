{#- A filter that is true when `condition` holds, and where the engine can raise an error in SQL
    (DuckDB error(), Spark raise_error()) stops the query with `message` (a SQL text expression)
    instead. It sits in the filter, not the select list: dbt counts a test's rows, and an unused
    column is never evaluated. -#}
{% macro fail_when(condition, message) %}
    {{ return(adapter.dispatch('fail_when', 'customer_segmentation')(condition, message)) }}
{% endmacro %}

{% macro default__fail_when(condition, message) -%}
    {{ condition }}
{%- endmacro %}

{% macro duckdb__fail_when(condition, message) -%}
    case when {{ condition }} then error({{ message }}) is null else false end
{%- endmacro %}

{% macro spark__fail_when(condition, message) -%}
    case when {{ condition }} then raise_error({{ message }}) is null else false end
{%- endmacro %}
