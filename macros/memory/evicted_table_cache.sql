{#- A hook for every model (dbt_project.yml): DuckDB drops the table blocks it keeps cached from
    earlier nodes, by lowering its memory limit to 256MB for a moment, then runs with the
    profile's limit again (restored_memory_limit). Without it the cache of the nodes before a
    model adds up to about 1.9 GB to the model's peak at 10M orders; reading a table again costs
    a read of the warehouse file instead (docs/decisions.md, "Per-model memory limits"). Set as a
    project hook, it runs before the model's own lowered_memory_limit() pre-hook. Other engines
    run nothing, and nor does DuckDB when dbt runs more than one thread: a model running beside
    this one would have to fit in 256MB for that moment. -#}
{% macro evicted_table_cache() %}
    {%- if target.type != 'duckdb' or target.threads | int > 1 -%}
        {{ return('') }}
    {%- endif -%}
    {{ return("set memory_limit = '256MB'; " ~ restored_memory_limit()) }}
{% endmacro %}
