{#- The config of an incremental model that replaces the rows of the key values in each new batch
    (a rerun of a date replaces that date's rows) and keeps every other row:

        {{ config(materialized='incremental', **incremental_replace_config('as_of_date')) }}

    The key is a single column with few distinct values (a run date). -#}
{% macro incremental_replace_config(key_column) %}
    {{ return(adapter.dispatch('incremental_replace_config', 'customer_segmentation')(key_column)) }}
{% endmacro %}


{#- DuckDB, Postgres, Snowflake: delete the batch's key values, then insert the batch. -#}
{% macro default__incremental_replace_config(key_column) %}
    {{ return({'unique_key': key_column, 'incremental_strategy': 'delete+insert'}) }}
{% endmacro %}


{#- Spark with Parquet tables has no delete+insert and no merge (both need Delta Lake). The table
    is partitioned by the key instead, and insert_overwrite replaces exactly the partitions the
    batch holds (dbt-spark switches to dynamic partition overwrite). On Databricks with Delta,
    delete+insert or merge also work. -#}
{% macro spark__incremental_replace_config(key_column) %}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [key_column]}) }}
{% endmacro %}
