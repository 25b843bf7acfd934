{#- A number as text with a fixed number of decimals (0.9 -> '0.90'), as Python's f"{x:.2f}".
    Used in texts that the Python model writes the same way (reasons a feature was dropped). -#}
{% macro format_fixed(expression, decimals=2) -%}
    {{ return(adapter.dispatch('format_fixed', 'customer_segmentation')(expression, decimals | int)) }}
{%- endmacro %}

{#- Postgres, Snowflake: to_char with a fill-mode pattern. -#}
{% macro default__format_fixed(expression, decimals) -%}
    to_char({{ expression }}, 'FM9999999990{{ "." ~ "0" * decimals if decimals > 0 else "" }}')
{%- endmacro %}

{#- DuckDB, Spark and Databricks have C-style printf. -#}
{% macro duckdb__format_fixed(expression, decimals) -%}
    printf('%.{{ decimals }}f', {{ expression }})
{%- endmacro %}

{% macro spark__format_fixed(expression, decimals) -%}
    printf('%.{{ decimals }}f', {{ expression }})
{%- endmacro %}
