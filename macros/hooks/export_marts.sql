{#- on-run-end: copies every mart (every model in schema marts) to <var export_path>/<mart>.parquet
    at the end of `dbt run` and `dbt build`, creating the directory. BI tools read these files
    instead of the warehouse: a tool holding the DuckDB file open blocks the next build, since
    DuckDB allows one writer (docs/activation.md).

    - export_path is relative to the directory dbt runs in (the project root); null or empty
      turns the export off. It may not contain quotes, semicolons, glob characters or line breaks.
    - A run with an error or a failed test exports nothing: the files keep the last good build.
    - A model with `meta: {export: false}` (e.g. the MetricFlow time spine) is not exported.
    - A file is rewritten in place: refresh the BI tool after the build, not during it.

    DuckDB writes the files with COPY ... TO. Other engines log that nothing was exported: their
    warehouses are read directly by BI tools (or add an override here, e.g. Spark's
    `insert overwrite directory`). dbt-duckdb's `external` materialisation is not used: it
    resolves relative locations against its own root, not the project, and turns marts into
    views over files. -#}
{% macro export_marts() %}
    {{ return(adapter.dispatch('export_marts', 'customer_segmentation')()) }}
{% endmacro %}

{% macro default__export_marts() %}
    {%- if execute and flags.WHICH in ('build', 'run') and validated_export_path() is not none -%}
        {%- do log("export_marts: no Parquet export on " ~ target.type ~ " (it uses DuckDB's COPY ... TO); BI tools read the marts schema directly.", info=true) -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__export_marts() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set directory = validated_export_path() -%}
    {%- if directory is none -%}
        {%- do log("export_marts: var export_path is not set; no Parquet export.", info=true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail', 'runtime error') -%}
            {%- do log("export_marts: the run had errors or failed tests; " ~ directory ~ "/ keeps the files of the last good build.", info=true) -%}
            {{ return('') }}
        {%- endif -%}
    {%- endfor -%}

    {%- set marts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.config.schema == 'marts'
            and node.config.materialized != 'ephemeral'
            and (node.config.meta or {}).get('export', true) -%}
            {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- if relation is not none -%}
                {%- do marts.append({'name': node.alias, 'relation': relation}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if marts | length == 0 -%}
        {{ return('') }}
    {%- endif -%}

    {%- do create_export_directory(directory) -%}
    {%- for mart in marts -%}
        {%- set file_path = directory ~ '/' ~ mart['name'] ~ '.parquet' -%}
        {%- do run_query("copy (select * from " ~ mart['relation'] ~ ") to " ~ sql_string_literal(file_path) ~ " (format parquet)") -%}
    {%- endfor -%}
    {%- do log("export_marts: wrote " ~ (marts | length) ~ " marts to " ~ directory ~ "/<mart>.parquet", info=true) -%}
    {{ return('') }}
{% endmacro %}
