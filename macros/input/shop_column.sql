{#- How the ingest step reads one column of the contract from a found input (discover_shop_input):
    {'sql': the expression (text), 'value_sql': the typed reading where it is exact, else a null
    (macro shop_column_value), 'problem': a message that stops the build, or none,
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
            {{ return({'sql': missing, 'value_sql': missing, 'has_no_values': false, 'problem':
                "Input " ~ shop_table.location ~ " has no column '" ~ column_name ~ "', which the input contract requires. Columns found: "
                ~ (shop_table.columns | join(', '))}) }}
        {%- endif -%}
        {{ return({'sql': missing, 'value_sql': missing, 'has_no_values': false, 'problem': none}) }}
    {%- endif -%}
    {%- set found_type = shop_table.column_types[column_name] -%}
    {%- set type_problem = shop_column_type_problem(found_type, column.expects) -%}
    {%- if type_problem -%}
        {%- set example = shop_column_example_value(shop_table, column_name, found_type) -%}
        {%- if example is none -%}
            {%- do log("input " ~ shop_table.table_name ~ ": column '" ~ column_name ~ "' of " ~ shop_table.location
                       ~ " has no values (type " ~ found_type ~ "); read as missing values", info=true) -%}
            {{ return({'sql': missing, 'value_sql': missing, 'has_no_values': true, 'problem': none}) }}
        {%- endif -%}
        {{ return({'sql': missing, 'value_sql': missing, 'has_no_values': false, 'problem':
            "Input " ~ shop_table.location ~ " column '" ~ column_name ~ "' has type " ~ found_type ~ ": " ~ type_problem
            ~ " Example value: " ~ example_for_message(column_name, example) ~ "."}) }}
    {%- endif -%}
    {%- if column.expects == 'id' and modules.re.match('(float|double|real)', found_type | lower) -%}
        {#- pandas writes integer ids with gaps as floats: 1001.0 is read as the id 1001, so it
            matches the same id written as an integer or as text in another input. -#}
        {{ return({'value_sql': shop_column_value(quoted, found_type, column.expects), 'sql': "case when " ~ shop_float_id_is_whole(quoted)
            ~ " then cast(cast(" ~ quoted ~ " as " ~ dbt.type_bigint() ~ ") as " ~ dbt.type_string() ~ ")"
            ~ " else cast(" ~ quoted ~ " as " ~ dbt.type_string() ~ ") end", 'has_no_values': false, 'problem': none}) }}
    {%- endif -%}
    {{ return({'sql': "cast(" ~ quoted ~ " as " ~ dbt.type_string() ~ ")", 'value_sql': shop_column_value(quoted, found_type, column.expects),
               'has_no_values': false, 'problem': none}) }}
{% endmacro %}
