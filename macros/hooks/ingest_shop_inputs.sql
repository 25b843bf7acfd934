{#- The ingest step: finds and checks every input table of the `shop` source (macro
    shop_input_contract) at run time, then writes, in the staging schema:
    - shop_input__<table>: a view over the file or warehouse table with exactly the contract's
      columns, each as text (an absent optional column is a null; an all-null column is read as
      nulls; float ids written by pandas are read as whole numbers); an absent optional table,
      or one without rows, is a view with no rows. Beside each column <column>, two readings
      that staging uses instead of the text where it can: <column>__value, the value in the
      input's own type where its casts equal those of its text (macro shop_column_value; a
      null elsewhere, and always for CSV), and <column>__text, the text where there is no
      such value (null where there is);
    - shop_inputs: one row per input table (table_name, is_required, is_found, location,
      problem, found_columns, columns_without_values), what the last ingest found.
    The staging models read those views (macro shop_input_relation), so their SQL is the same
    whatever the data, and `dbt compile` reads no data.

    Every problem of every input is collected first; if there is any (a missing or empty
    orders table, a missing required column, a column of a type that cannot hold its values, a
    CSV file that is not valid text in var raw_csv_encoding), the step stops with all of them
    and writes nothing.

    It runs as the project's on-run-start hook (only_when_read=true: when a dbt build, run or
    test runs a node that reads the `shop` source) and on its own with `dbt run-operation
    ingest_shop_inputs`. Returns no SQL of its own. -#}
{% macro ingest_shop_inputs(only_when_read=false) %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {#- dbt compile (and show, docs generate) renders the hooks too: only commands that run
        nodes ingest. -#}
    {%- if only_when_read and (flags.WHICH not in ('build', 'run', 'test', 'retry') or not shop_input_is_read()) -%}
        {{ return('') }}
    {%- endif -%}
    {%- do validated_shop_input_vars() -%}
    {%- set problems = [] -%}
    {%- set ingested = [] -%}
    {%- for table in shop_input_contract() -%}
        {%- set found = discover_shop_input(table.name) -%}
        {%- if found.error -%}
            {%- do problems.append(found.error) -%}
        {%- elif not found.exists and table.is_required -%}
            {%- do problems.append("The required input '" ~ table.name ~ "' " ~ found.problem
                ~ ". Point var raw_data_path (files) or raw_schema (warehouse tables) at your data; at least one order row is needed.") -%}
        {%- endif -%}
        {%- set expressions = [] -%}
        {%- set without_values = [] -%}
        {%- for column in table.columns -%}
            {%- if found.exists and not found.error -%}
                {%- set read = shop_column(found, column) -%}
            {%- else -%}
                {%- set read = {'sql': 'cast(null as ' ~ dbt.type_string() ~ ')', 'value_sql': 'cast(null as ' ~ dbt.type_string() ~ ')',
                                'has_no_values': false, 'problem': none} -%}
            {%- endif -%}
            {%- if read.problem -%}
                {%- do problems.append(read.problem) -%}
            {%- endif -%}
            {%- if read.has_no_values -%}
                {%- do without_values.append(column.name) -%}
            {%- endif -%}
            {%- do expressions.append(read.sql ~ ' as ' ~ adapter.quote(column.name)) -%}
            {%- do expressions.append(read.value_sql ~ ' as ' ~ adapter.quote(column.name ~ '__value')) -%}
            {%- do expressions.append('case when (' ~ read.value_sql ~ ') is null then ' ~ read.sql ~ ' end as ' ~ adapter.quote(column.name ~ '__text')) -%}
        {%- endfor -%}
        {%- if found.exists and not found.error -%}
            {%- set view_sql = 'select\n    ' ~ (expressions | join(',\n    ')) ~ '\nfrom ' ~ found.sql -%}
        {%- else -%}
            {%- set view_sql = 'select\n    ' ~ (expressions | join(',\n    '))
                ~ '\nfrom (select 1 as absent_input) as absent_input\nwhere 1 = 0' -%}
        {%- endif -%}
        {%- do ingested.append({'table': table, 'found': found, 'view_sql': view_sql, 'without_values': without_values}) -%}
    {%- endfor -%}
    {%- if problems | length == 1 -%}
        {{ exceptions.raise_compiler_error(problems[0]) }}
    {%- elif problems -%}
        {%- set listed = [] -%}
        {%- for problem in problems -%}
            {%- do listed.append(loop.index ~ '. ' ~ problem) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "The input has " ~ (problems | length) ~ " problems (docs/input.md, \"Input contract\"):\n" ~ (listed | join('\n'))) }}
    {%- endif -%}

    {%- set manifest = shop_input_view('shop_inputs') -%}
    {%- do adapter.create_schema(api.Relation.create(database=manifest.database, schema=manifest.schema)) -%}
    {%- set manifest_rows = [] -%}
    {%- for input in ingested -%}
        {%- do shop_input_replace_view(shop_input_view('shop_input__' ~ input.table.name), input.view_sql) -%}
        {%- do manifest_rows.append(
            'select '
            ~ sql_string_literal(input.table.name) ~ ' as table_name, '
            ~ ('true' if input.table.is_required else 'false') ~ ' as is_required, '
            ~ ('true' if input.found.exists else 'false') ~ ' as is_found, '
            ~ sql_string_literal(input.found.location) ~ ' as location, '
            ~ ('cast(null as ' ~ dbt.type_string() ~ ')' if input.found.problem is none else sql_string_literal(input.found.problem))
            ~ ' as problem, '
            ~ sql_string_literal(input.found.columns | join(', ')) ~ ' as found_columns, '
            ~ ('cast(null as ' ~ dbt.type_string() ~ ')' if not input.without_values else sql_string_literal(input.without_values | join(', ')))
            ~ ' as columns_without_values') -%}
    {%- endfor -%}
    {%- do shop_input_replace_view(manifest, manifest_rows | join('\nunion all\n')) -%}
    {{ return('') }}
{% endmacro %}
