{#- The post-hook after lowered_memory_limit(): the profile's memory_limit again, or DuckDB's
    default when the profile sets none. Other engines run nothing. -#}
{% macro restored_memory_limit() %}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set profile_limit = (target.get('settings') or {}).get('memory_limit') -%}
    {%- if profile_limit is none -%}
        {{ return('reset memory_limit') }}
    {%- endif -%}
    {{ return("set memory_limit = '" ~ profile_limit ~ "'") }}
{% endmacro %}
