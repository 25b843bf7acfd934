{#- dbt's default safe_cast is a plain cast on DuckDB, which aborts the whole build on the first
    unparseable value. try_cast yields null instead, so staging can reject the row with a reason. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
