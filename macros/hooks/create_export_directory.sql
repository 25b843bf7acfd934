{#- DuckDB has no mkdir, and COPY ... TO a file does not create its directory. A partitioned COPY of
    no rows does create its target directory (one level, and leaves existing files alone), so
    each level of the path is created in turn. -#}
{% macro create_export_directory(directory) %}
    {%- set parts = directory.split('/') -%}
    {%- set prefix = namespace(path='') -%}
    {%- for part in parts -%}
        {%- set prefix.path = part if loop.first else prefix.path ~ '/' ~ part -%}
        {%- if part not in ('', '.', '..') -%}
            {%- do run_query("copy (select 'export' as export_partition, 1 as export_row where 1 = 0) to "
                ~ sql_string_literal(prefix.path) ~ " (format parquet, partition_by (export_partition), overwrite_or_ignore true)") -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
