{#- Resolves one raw input table of the `shop` source.

    Two input modes (see README, "Input contract"):
    - files (default): var raw_data_path names a directory holding <table>.parquet or <table>.csv;
    - warehouse: var raw_schema (and optionally raw_database) names where the tables already are.

    Returns a dict: exists (bool), sql (what to select from), columns (lower-case names),
    location (for messages). The source() call always runs so dbt records the lineage. -#}
{% macro shop_input(table_name) %}
    {%- set source_relation = source('shop', table_name) -%}
    {%- if not execute -%}
        {{ return({'exists': true, 'sql': source_relation, 'columns': [], 'location': table_name}) }}
    {%- endif -%}

    {%- if var('raw_schema') -%}
        {%- set relation = adapter.get_relation(
            database=source_relation.database,
            schema=source_relation.schema,
            identifier=source_relation.identifier) -%}
        {%- if relation is none -%}
            {{ return(absent_shop_input(table_name, source_relation | string)) }}
        {%- endif -%}
        {%- set columns = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do columns.append(column.name | lower) -%}
        {%- endfor -%}
        {%- do log("input " ~ table_name ~ ": found at " ~ relation, info=true) -%}
        {{ return({'exists': true, 'sql': relation, 'columns': columns, 'location': relation | string}) }}
    {%- endif -%}

    {%- set directory = validated_raw_data_path() -%}
    {%- for extension in ['parquet', 'csv'] -%}
        {%- set file_path = directory ~ '/' ~ table_name ~ '.' ~ extension -%}
        {%- set found = run_query("select count(*) from glob(" ~ sql_string_literal(file_path) ~ ")") -%}
        {%- if found.columns[0].values()[0] > 0 -%}
            {%- if extension == 'parquet' -%}
                {%- set reader = "read_parquet(" ~ sql_string_literal(file_path) ~ ")" -%}
            {%- else -%}
                {#- Every CSV column is read as text: staging casts each value and rejects the rows
                    whose values do not parse, instead of letting type sniffing guess. -#}
                {%- set reader = "read_csv(" ~ sql_string_literal(file_path) ~ ", header = true, all_varchar = true)" -%}
            {%- endif -%}
            {%- set described = run_query("describe select * from " ~ reader) -%}
            {%- set columns = [] -%}
            {%- for column_name in described.columns['column_name'].values() -%}
                {%- do columns.append(column_name | lower) -%}
            {%- endfor -%}
            {%- do log("input " ~ table_name ~ ": found at " ~ file_path, info=true) -%}
            {{ return({'exists': true, 'sql': reader, 'columns': columns, 'location': file_path}) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(absent_shop_input(table_name, directory ~ '/' ~ table_name ~ '.{parquet,csv}')) }}
{% endmacro %}


{#- An absent optional input reads as an empty table: every column is a typed null and the model
    adds `where 1 = 0`. -#}
{% macro absent_shop_input(table_name, location) %}
    {%- do log("input " ~ table_name ~ ": not found at " ~ location ~ "; the features that need it are left out", info=true) -%}
    {{ return({'exists': false, 'sql': '(select 1 as absent_input) as absent_input', 'columns': [], 'location': location}) }}
{% endmacro %}


{#- The raw value of one input column, or a typed null when an optional column is absent.
    A missing required column stops the build with a message naming the input and the column. -#}
{% macro shop_column(shop_table, column_name, required=false, data_type=none) -%}
    {%- if not execute or column_name in shop_table.columns -%}
        {{ adapter.quote(column_name) }}
    {%- elif required and shop_table.exists -%}
        {{ exceptions.raise_compiler_error(
            "Input " ~ shop_table.location ~ " has no column '" ~ column_name ~ "', which the input contract requires. Columns found: "
            ~ (shop_table.columns | join(', '))) }}
    {%- else -%}
        cast(null as {{ data_type or dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{% macro sql_string_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{#- raw_data_path comes from --vars: it is only ever used inside a quoted string literal, and
    characters that have no business in a directory name are refused outright. -#}
{% macro validated_raw_data_path() %}
    {%- set path = var('raw_data_path') | string -%}
    {%- if path | trim == '' -%}
        {{ exceptions.raise_compiler_error("var raw_data_path is empty: set it to the directory holding the input files, or set raw_schema to read warehouse tables.") }}
    {%- endif -%}
    {%- for forbidden in ["'", '"', ';', '\n', '\r', '*', '?', '[', '{'] -%}
        {%- if forbidden in path -%}
            {{ exceptions.raise_compiler_error("var raw_data_path contains the character " ~ (forbidden | tojson) ~ ", which is not allowed in the input directory: " ~ (path | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(path.rstrip('/')) }}
{% endmacro %}
