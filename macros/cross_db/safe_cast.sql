{#- dbt's default safe_cast is a plain cast on DuckDB, which aborts the whole build on the first
    unparseable value. try_cast yields null instead, so staging can reject the row with a reason. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{#- Spark 3.2+ and Databricks: try_cast yields null on a bad value whatever the ANSI mode. A plain
    cast (dbt-spark's default) returns null only with ANSI off, which dbt-spark forces for its own
    connections, but Spark 4 and Databricks SQL warehouses default to ANSI on, where it fails.
    try_cast follows ANSI rules, which refuse '3.0' as an integer where DuckDB reads 3: whole
    number types are therefore parsed as a decimal first (a fractional value is truncated there
    and rounded on DuckDB; staging rejects it either way as non_integer_quantity). -#}
{% macro spark__safe_cast(field, type) -%}
    {%- if modules.re.fullmatch('(?i)\\s*(tinyint|smallint|int|integer|bigint|long|short|byte)\\s*', type | string) -%}
        try_cast(try_cast({{ field }} as decimal(38, 6)) as {{ type }})
    {%- else -%}
        try_cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
