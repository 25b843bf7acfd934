{#- The relation a staging model (or test) reads one input table of the `shop` source from:
    <staging schema>.shop_input__<table>, a view the ingest step (macro ingest_shop_inputs, run
    at the start of every dbt build / run / test that reads the input) writes over the file or
    warehouse table, with exactly the columns of the input contract (macro
    shop_input_contract), all text: an absent optional column is a null, an absent optional
    table has no rows. Whatever the data, the SQL that reads it is the same.

    Reads no data: it checks the input vars (so that a bad one stops `dbt compile` too) and
    calls source() so that dbt records the lineage. -#}
{% macro shop_input_relation(table_name) %}
    {%- do source('shop', table_name) -%}
    {%- if execute -%}
        {%- do validated_shop_input_vars() -%}
    {%- endif -%}
    {{ return(shop_input_view('shop_input__' ~ table_name)) }}
{% endmacro %}


{#- A view the ingest step writes in the staging schema (the schema of the staging models). -#}
{% macro shop_input_view(identifier) %}
    {{ return(api.Relation.create(
        database=target.database or none,
        schema=generate_schema_name('staging', none) | trim,
        identifier=identifier,
        type='view')) }}
{% endmacro %}


{#- The vars that say where the input is, checked (they end up inside SQL): raw_schema and
    raw_database in warehouse mode; raw_data_path and raw_csv_encoding in files mode. -#}
{% macro validated_shop_input_vars() %}
    {%- if var('raw_schema') -%}
        {%- do validated_identifier_var('raw_schema') -%}
        {%- do validated_identifier_var('raw_database') -%}
    {%- else -%}
        {%- do validated_raw_data_path() -%}
        {%- do validated_raw_csv_encoding() -%}
    {%- endif -%}
{% endmacro %}


{#- Finds one raw input table of the `shop` source, at run time (the ingest step).

    Two input modes (see README, "Input contract"):
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


{#- The reader of one CSV input. Every column is read as text: staging casts each value and
    rejects the rows whose values do not parse, instead of letting type sniffing guess. -#}
{% macro shop_csv_reader(file_path) %}
    {{ return("read_csv(" ~ sql_string_literal(file_path) ~ ", header = true, all_varchar = true, encoding = "
              ~ sql_string_literal(validated_raw_csv_encoding()) ~ ")") }}
{% endmacro %}


{#- The text of a CSV input must be valid in var raw_csv_encoding (default utf-8). DuckDB's reader
    stops on the first invalid byte with a message about a CSV line; the whole file is checked
    first so the build stops with a message that names the input and the way out. Returns that
    message, or none when the file is valid (or another encoding is set). -#}
{% macro shop_csv_encoding_error(table_name, file_path) %}
    {%- if validated_raw_csv_encoding() != 'utf-8' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set decoded = run_query("select try(decode(content)) is null from read_blob(" ~ sql_string_literal(file_path) ~ ")") -%}
    {%- if not decoded.columns[0].values()[0] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("Input " ~ file_path ~ " (" ~ table_name ~ ") is not valid UTF-8 text: it holds bytes that are no UTF-8 character"
              ~ " (a file saved as Latin-1 / Windows-1252?)" ~ shop_csv_first_invalid_utf8(file_path)
              ~ ". Save it as UTF-8, or set var raw_csv_encoding"
              ~ " (one of utf-8, latin-1, utf-16) to the encoding every CSV input is written in.") }}
{% endmacro %}


{#- Where a CSV input that is not valid UTF-8 first goes wrong, for the error message: the row
    (counted after the header) and column, and the value as Latin-1 would read it, unless the
    column is personal data (var personal_data_columns): build logs are no place for names. The
    file is read as Latin-1, which maps every byte to a character, and the valid UTF-8 sequences
    are removed: a byte from 0x80 up that is left over is not UTF-8. Runs only on that error. -#}
{% macro shop_csv_first_invalid_utf8(file_path) %}
    {%- set valid_sequences = '[\\x{C2}-\\x{DF}][\\x{80}-\\x{BF}]|[\\x{E0}-\\x{EF}][\\x{80}-\\x{BF}]{2}|[\\x{F0}-\\x{F4}][\\x{80}-\\x{BF}]{3}' -%}
    {%- set query -%}
        with numbered as (
            select row_number() over () as row_number, *
            from read_csv({{ sql_string_literal(file_path) }}, header = true, all_varchar = true, encoding = 'latin-1')
        ),
        cells as (
            unpivot numbered on columns(* exclude (row_number)) into name column_name value raw_value
        )
        select row_number, column_name, raw_value
        from cells
        where regexp_matches(regexp_replace(raw_value, '{{ valid_sequences }}', '', 'g'), '[\x{80}-\x{FF}]')
        order by row_number, column_name
        limit 1
    {%- endset -%}
    {%- set found = run_query(query) -%}
    {%- if found.rows | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set row = found.rows[0] -%}
    {{ return(", first in row " ~ row[0] ~ " after the header, column '" ~ row[1] ~ "', read as Latin-1: "
              ~ example_for_message(row[1], row[2])) }}
{% endmacro %}


{#- A value quoted for an error message, or a note that it is withheld when its column is personal
    data (var personal_data_columns): build logs are shared and kept. -#}
{% macro example_for_message(column_name, value) %}
    {%- set personal_columns = [] -%}
    {%- for name in var('personal_data_columns') -%}
        {%- do personal_columns.append(name | string | lower) -%}
    {%- endfor -%}
    {%- if (column_name | string | lower) in personal_columns -%}
        {{ return('(not shown: a personal-data column)') }}
    {%- endif -%}
    {{ return("'" ~ (value | string) ~ "'") }}
{% endmacro %}


{% macro shop_input_has_rows(from_clause) %}
    {%- set probed = run_query("select count(*) from (select 1 as probe from " ~ from_clause ~ " limit 1) as probed") -%}
    {{ return(probed.columns[0].values()[0] > 0) }}
{% endmacro %}


{#- An absent input (missing, or present without rows), with its log line. Staging reads it as
    a table with the contract's columns and no rows. -#}
{% macro absent_shop_input(table_name, problem) %}
    {%- if problem.startswith('was not found at ') -%}
        {%- do log("input " ~ table_name ~ ": " ~ problem[4:] ~ "; the features that need it are left out", info=true) -%}
    {%- else -%}
        {%- do log("input " ~ table_name ~ ": the file or table " ~ problem ~ "; treated as absent, the features that need it are left out", info=true) -%}
    {%- endif -%}
    {{ return({'exists': false, 'sql': none, 'columns': [], 'column_types': {}, 'location': problem, 'problem': problem,
               'error': none, 'table_name': table_name}) }}
{% endmacro %}


{#- How the ingest step reads one column of the contract from a found input (discover_shop_input):
    {'sql': the expression (text), 'problem': a message that stops the build, or none,
    'has_no_values': true when the column is there but holds no value}.

    An absent optional column reads as a null. A missing required column, or a column whose type
    cannot hold what the contract expects, is a problem naming the input, the column, the
    problem and one value of the column. A column with no values at all (every value null, or
    NaN in a float column) is compatible with every type: pandas writes an all-null column as
    Parquet type NULL, an all-missing date as a float column of NaN. It is read as nulls, with a
    log line. expects: id (text or a whole number), number, timestamp, text (any scalar). -#}
{% macro shop_column(shop_table, column) %}
    {%- set column_name = column.name -%}
    {%- set quoted = adapter.quote(column_name) -%}
    {%- set missing = 'cast(null as ' ~ dbt.type_string() ~ ')' -%}
    {%- if column_name not in shop_table.columns -%}
        {%- if column.is_required -%}
            {{ return({'sql': missing, 'has_no_values': false, 'problem':
                "Input " ~ shop_table.location ~ " has no column '" ~ column_name ~ "', which the input contract requires. Columns found: "
                ~ (shop_table.columns | join(', '))}) }}
        {%- endif -%}
        {{ return({'sql': missing, 'has_no_values': false, 'problem': none}) }}
    {%- endif -%}
    {%- set found_type = shop_table.column_types[column_name] -%}
    {%- set type_problem = shop_column_type_problem(found_type, column.expects) -%}
    {%- if type_problem -%}
        {%- set example = shop_column_example_value(shop_table, column_name, found_type) -%}
        {%- if example is none -%}
            {%- do log("input " ~ shop_table.table_name ~ ": column '" ~ column_name ~ "' of " ~ shop_table.location
                       ~ " has no values (type " ~ found_type ~ "); read as missing values", info=true) -%}
            {{ return({'sql': missing, 'has_no_values': true, 'problem': none}) }}
        {%- endif -%}
        {{ return({'sql': missing, 'has_no_values': false, 'problem':
            "Input " ~ shop_table.location ~ " column '" ~ column_name ~ "' has type " ~ found_type ~ ": " ~ type_problem
            ~ " Example value: " ~ example_for_message(column_name, example) ~ "."}) }}
    {%- endif -%}
    {%- if column.expects == 'id' and modules.re.match('(float|double|real)', found_type | lower) -%}
        {#- pandas writes integer ids with gaps as floats: 1001.0 is read as the id 1001, so it
            matches the same id written as an integer or as text in another input. -#}
        {{ return({'sql': "case when " ~ quoted ~ " = floor(" ~ quoted ~ ") and abs(" ~ quoted ~ ") < 1e15"
            ~ " then cast(cast(" ~ quoted ~ " as " ~ dbt.type_bigint() ~ ") as " ~ dbt.type_string() ~ ")"
            ~ " else cast(" ~ quoted ~ " as " ~ dbt.type_string() ~ ") end", 'has_no_values': false, 'problem': none}) }}
    {%- endif -%}
    {{ return({'sql': "cast(" ~ quoted ~ " as " ~ dbt.type_string() ~ ")", 'has_no_values': false, 'problem': none}) }}
{% endmacro %}


{#- One value of an input column, as text (at most 60 characters), for messages; none when the
    column has no values: every value is null, or NaN in a float column. -#}
{% macro shop_column_example_value(shop_table, column_name, found_type) %}
    {%- set quoted = adapter.quote(column_name) -%}
    {%- set has_value = quoted ~ " is not null" -%}
    {%- if modules.re.match('(float|double|real)', found_type | lower | trim) -%}
        {%- set has_value = has_value ~ " and not isnan(" ~ quoted ~ ")" -%}
    {%- endif -%}
    {%- set found = run_query("select cast(" ~ quoted ~ " as " ~ dbt.type_string() ~ ") from " ~ shop_table.sql
                              ~ " where " ~ has_value ~ " limit 1") -%}
    {%- if found.rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = found.columns[0].values()[0] | string -%}
    {{ return(text if text | length <= 60 else text[:57] ~ '...') }}
{% endmacro %}


{#- Why a column of this type cannot hold what the contract expects, or none. Text columns are
    always accepted (every value is cast and checked row by row); typed columns must be of a
    compatible kind. Float ids are accepted and read as whole numbers where they are whole. -#}
{% macro shop_column_type_problem(found_type, expects) %}
    {%- set type_name = found_type | lower | trim -%}
    {%- set is_text = modules.re.match('(varchar|string|text|char|character|nvarchar|bpchar)\\b', type_name) -%}
    {%- set is_whole = modules.re.match('(tinyint|smallint|int|integer|bigint|hugeint|utinyint|usmallint|uinteger|ubigint|uhugeint|int1|int2|int4|int8|long|short|byte)\\b', type_name)
        or modules.re.fullmatch('(decimal|numeric)\\(\\s*[0-9]+\\s*,\\s*0\\s*\\)', type_name) -%}
    {%- set is_number = is_whole or modules.re.match('(decimal|numeric|float|double|real)\\b', type_name) -%}
    {%- set is_temporal = modules.re.match('(date|timestamp|datetime)', type_name) -%}
    {%- set is_nested_or_binary = modules.re.search('(struct|map|union|array|list|blob|binary|bytea|\\[\\])', type_name) -%}
    {%- if expects is none -%}
        {{ return(none) }}
    {%- elif is_nested_or_binary -%}
        {{ return("a nested or binary value cannot be read as a single value.") }}
    {%- elif is_text -%}
        {{ return(none) }}
    {%- elif expects == 'id' and not (is_whole or modules.re.match('(float|double|real)\\b', type_name)) -%}
        {{ return("an identifier must be text or a whole number.") }}
    {%- elif expects == 'number' and not is_number -%}
        {{ return("the input contract expects a number (or text holding one).") }}
    {%- elif expects == 'timestamp' and not is_temporal -%}
        {{ return("the input contract expects a date or timestamp (or text holding one).") }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}


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


{#- raw_schema and raw_database name warehouse objects. dbt quotes identifiers but does not escape
    a quote inside one, so only letters, digits and underscores are accepted. Null passes. -#}
{% macro validated_identifier_var(name) %}
    {%- set value = var(name, none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if value is not string or not modules.re.fullmatch('[A-Za-z0-9_]+', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " may only contain letters, digits and underscores, got " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}


{#- A numeric var rendered as a SQL number literal, after checking that it is one: a number, or
    text that is a plain decimal number, at least `minimum` (and whole when `whole`). -#}
{% macro validated_number_var(name, minimum=none, whole=false) %}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- if value is boolean or value is none or not modules.re.fullmatch('[0-9]+(\\.[0-9]+)?', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a non-negative number, got " ~ (text | tojson)) }}
    {%- endif -%}
    {%- if whole and '.' in text -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number, got " ~ (text | tojson)) }}
    {%- endif -%}
    {%- if minimum is not none and (text | float) < minimum -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be at least " ~ minimum ~ ", got " ~ (text | tojson)) }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}


{#- A boolean var, after checking that it is one (true or false, or their YAML/text spellings). -#}
{% macro validated_boolean_var(name) %}
    {%- set value = var(name) -%}
    {%- if value is boolean -%}
        {{ return(value) }}
    {%- endif -%}
    {%- set text = value | string | lower | trim -%}
    {%- if text not in ['true', 'false'] -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be true or false, got " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(text == 'true') }}
{% endmacro %}


{#- The encoding CSV inputs are read in; one of the encodings DuckDB's CSV reader knows. -#}
{% macro validated_raw_csv_encoding() %}
    {%- set encoding = var('raw_csv_encoding', 'utf-8') | string | lower | trim -%}
    {%- set known = {'utf-8': 'utf-8', 'utf8': 'utf-8', 'latin-1': 'latin-1', 'latin1': 'latin-1', 'iso-8859-1': 'latin-1', 'utf-16': 'utf-16', 'utf16': 'utf-16'} -%}
    {%- if encoding not in known -%}
        {{ exceptions.raise_compiler_error("var raw_csv_encoding must be one of utf-8, latin-1, utf-16, got " ~ (encoding | tojson)) }}
    {%- endif -%}
    {{ return(known[encoding]) }}
{% endmacro %}
