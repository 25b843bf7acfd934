{#- Finds one raw input table of the `shop` source, at run time (the ingest step).

    Two input modes (see docs/input.md, "Input contract"):
    - files (default): var raw_data_path names a directory holding <table>.parquet or <table>.csv;
    - warehouse: var raw_schema (and optionally raw_database) names where the tables already are.

    Returns a dict: table_name, exists (bool), sql (what to select from), columns (lower-case names),
    column_types (lower-case name -> type as the engine reports it), location (for messages),
    problem (why the input counts as absent: "was not found at ...", "... is empty (0 bytes)",
    "... has no rows") and error (a message when the input cannot be read at all: a CSV file
    that is not valid text in var raw_csv_encoding). An input that is present but empty counts
    as absent, with a log line: an optional table is then left out like a missing one, and the
    required orders stop the build. -#}
{% macro discover_shop_input(table_name) %}
    {%- if var('raw_schema') -%}
        {%- set source_node = graph.sources['source.' ~ project_name ~ '.shop.' ~ table_name] -%}
        {%- set source_relation = api.Relation.create(
            database=source_node.database, schema=source_node.schema, identifier=source_node.identifier) -%}
        {%- set relation = adapter.get_relation(
            database=source_relation.database,
            schema=source_relation.schema,
            identifier=source_relation.identifier) -%}
        {%- if relation is none -%}
            {{ return(absent_shop_input(table_name, 'was not found at ' ~ source_relation)) }}
        {%- endif -%}
        {%- set column_types = {} -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do column_types.update({column.name | lower: column.dtype | string}) -%}
        {%- endfor -%}
        {%- if not shop_input_has_rows(relation | string) -%}
            {{ return(absent_shop_input(table_name, 'at ' ~ relation ~ ' has no rows')) }}
        {%- endif -%}
        {%- do log("input " ~ table_name ~ ": found at " ~ relation, info=true) -%}
        {{ return({'exists': true, 'sql': relation | string, 'columns': column_types.keys() | list, 'column_types': column_types,
                   'location': relation | string, 'problem': none, 'error': none, 'table_name': table_name}) }}
    {%- endif -%}

    {%- set directory = validated_raw_data_path() -%}
    {%- for extension in ['parquet', 'csv'] -%}
        {%- set file_path = directory ~ '/' ~ table_name ~ '.' ~ extension -%}
        {%- set found = run_query("select count(*) from glob(" ~ sql_string_literal(file_path) ~ ")") -%}
        {%- if found.columns[0].values()[0] > 0 -%}
            {#- A 0-byte file is not a valid Parquet file and reads as one nameless column as CSV:
                it is checked before any reader touches it. -#}
            {%- set sized = run_query("select size from read_blob(" ~ sql_string_literal(file_path) ~ ")") -%}
            {%- if sized.columns[0].values()[0] == 0 -%}
                {{ return(absent_shop_input(table_name, 'at ' ~ file_path ~ ' is empty (0 bytes)')) }}
            {%- endif -%}
            {%- if extension == 'parquet' -%}
                {%- set reader = "read_parquet(" ~ sql_string_literal(file_path) ~ ")" -%}
            {%- else -%}
                {%- set encoding_error = shop_csv_encoding_error(table_name, file_path) -%}
                {%- if encoding_error -%}
                    {{ return({'exists': true, 'sql': none, 'columns': [], 'column_types': {}, 'location': file_path,
                               'problem': none, 'error': encoding_error, 'table_name': table_name}) }}
                {%- endif -%}
                {%- set reader = shop_csv_reader(file_path) -%}
            {%- endif -%}
            {%- set described = run_query("describe select * from " ~ reader) -%}
            {%- set column_types = {} -%}
            {%- for column_name in described.columns['column_name'].values() -%}
                {%- do column_types.update({column_name | lower: described.columns['column_type'].values()[loop.index0] | string}) -%}
            {%- endfor -%}
            {%- if not shop_input_has_rows(reader) -%}
                {{ return(absent_shop_input(table_name, 'at ' ~ file_path ~ ' has no rows (a header only)')) }}
            {%- endif -%}
            {%- do log("input " ~ table_name ~ ": found at " ~ file_path, info=true) -%}
            {{ return({'exists': true, 'sql': reader, 'columns': column_types.keys() | list, 'column_types': column_types,
                       'location': file_path, 'problem': none, 'error': none, 'table_name': table_name}) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(absent_shop_input(table_name, 'was not found at ' ~ directory ~ '/' ~ table_name ~ '.{parquet,csv}')) }}
{% endmacro %}
