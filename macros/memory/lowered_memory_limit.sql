{#- A pre-hook for a DuckDB model whose hash aggregates and joins hold gigabytes at 10M orders:
    DuckDB spills them to its temporary directory instead of growing past `limit`, and evicts the
    table blocks earlier models left cached. Pair it with restored_memory_limit() as the post-hook
    (docs/decisions.md, "Per-model memory limits"). A profile limit that is already lower is kept;
    other engines run nothing. memory_limit is a setting of the whole DuckDB instance: a model that
    fails before its post-hook leaves the lower limit for the rest of the run (slower, not wrong). -#}
{% macro lowered_memory_limit(limit) %}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set wanted = memory_size_bytes(limit) -%}
    {%- if wanted is none -%}
        {{ exceptions.raise_compiler_error("lowered_memory_limit takes a DuckDB size such as '1500MB', got " ~ (limit | tojson)) }}
    {%- endif -%}
    {%- set profile_limit = (target.get('settings') or {}).get('memory_limit') -%}
    {%- if profile_limit is not none -%}
        {%- set profile_bytes = memory_size_bytes(profile_limit) -%}
        {%- if profile_bytes is none or profile_bytes <= wanted -%}
            {{ return('') }}
        {%- endif -%}
    {%- endif -%}
    {{ return("set memory_limit = '" ~ limit ~ "'") }}
{% endmacro %}
