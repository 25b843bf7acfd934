{#- Incremental staging of the large, dated inputs (orders, events).

    The checked table keeps, per row, the date it is filed under (source_date: the parsed date of
    the row, null when the row cannot be dated), its raw fingerprint and the version of the
    staging rules that judged it. A run compares the input with the table date by date (row
    count and a checksum of the raw fingerprints) and re-stages only:
    - the dates whose rows changed in any way (added, removed, edited, late arrivals of any age);
    - every row that cannot be dated, every date after today, and every date holding a row
      rejected as dated in the future (that judgement depends on the day of the build);
    - every date judged under other staging rules (a var such as max_order_amount changed);
    - for orders, every other version of an order id found on a re-staged date (which version
      is kept depends on all of them).
    `--full-refresh` stages everything and gives the same table (tested). A change to the SQL of
    a staging model itself needs `--full-refresh`, as for any dbt incremental model.

    Incremental only on the adapters in var incremental_staging_adapters (DuckDB by default:
    the custom strategy below deletes rows); a plain table elsewhere. The pre-hook checks, at
    run time, that the table being updated has the bookkeeping columns. -#}
{% macro incremental_staging_config() %}
    {%- if target.type in var('incremental_staging_adapters') -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'replace_source_dates', 'on_schema_change': 'ignore',
                   'pre_hook': '{{ require_incremental_staging_columns() }}'}) }}
    {%- endif -%}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}
