{#- Every data test starts from an evicted table cache, as every model does (evicted_table_cache,
    the project's model hooks), and under the profile's memory limit, or under the lower one its
    config asks for with `meta: {memory_limit: <size>}` (a profile limit already lower is kept,
    as lowered_memory_limit() does for models). dbt runs no hooks for data tests; its test
    materialization asks get_test_sql for the query it runs, through adapter.dispatch, so this
    DuckDB version sets the limit just before the query is written, then writes dbt's own query
    unchanged. At 10M orders the unique test on the order lines' key grouped 25M keys in about
    1.7 GB: under 1500MB DuckDB spills the grouping instead (docs/decisions.md, "Per-model memory
    limits"). The lower limit holds until the next node sets its own: the next data test or model
    (unit tests come through get_unit_test_sql and keep it; they read a few fixture rows). With
    more dbt threads than one nothing is set, as for the models' eviction: a node running beside
    the test would run under its limit. -#}
{% macro duckdb__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {%- set eviction = evicted_table_cache() -%}
    {%- if execute and eviction -%}
        {%- set test_limit = (config.get('meta') or {}).get('memory_limit') -%}
        {%- set lowered = lowered_memory_limit(test_limit) if test_limit is not none else '' -%}
        {%- do run_query(eviction ~ ('; ' ~ lowered if lowered else '')) -%}
    {%- endif -%}
    {{ dbt.default__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) }}
{%- endmacro %}
