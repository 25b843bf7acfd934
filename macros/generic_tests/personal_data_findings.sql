{#- Personal data outside staging: the SQL of the test assert_no_personal_data_after_staging.

    Reads the catalogue at run time, so it sees every relation in the target database, including
    models added after this was written. Returns one row per finding:
    - personal_data_column: a column named like one of var personal_data_columns
      (default email, full_name, birth_date, city);
    - email_shaped_values: a text column with values shaped like an e-mail address among its first
      var personal_data_scan_sample_rows rows (the count is returned, never the values).
    Exempt: the schemas staging (the one layer allowed to read personal data) and reference
    (seeds), the raw input schema (var raw_schema, which holds the input as delivered) and the
    engine's own catalogue schemas.

    information_schema.columns as DuckDB has it is used; other engines get a no-op (Spark has no
    information_schema) with a log line saying so: add an override here to check them. -#}
{% macro personal_data_findings() %}
    {{ return(adapter.dispatch('personal_data_findings', 'customer_segmentation')()) }}
{% endmacro %}

{% macro default__personal_data_findings() %}
    {%- if execute -%}
        {%- do log("assert_no_personal_data_after_staging: no check on " ~ target.type ~ " (it reads DuckDB's information_schema.columns); add an override of personal_data_findings for this engine.", info=true) -%}
    {%- endif -%}
    {{ return(no_personal_data_findings()) }}
{% endmacro %}

{% macro duckdb__personal_data_findings() %}
    {%- if not execute -%}
        {{ return(no_personal_data_findings()) }}
    {%- endif -%}
    {%- set personal_columns = [] -%}
    {%- for name in var('personal_data_columns') -%}
        {%- do personal_columns.append(name | string | lower) -%}
    {%- endfor -%}
    {%- set sample_rows = validated_number_var('personal_data_scan_sample_rows', minimum=1, whole=true) -%}
    {%- set exempt = ['staging', 'reference', 'information_schema', 'pg_catalog'] -%}
    {%- set raw_schema = validated_identifier_var('raw_schema') -%}
    {%- if raw_schema -%}
        {%- do exempt.append(raw_schema | lower) -%}
    {%- endif -%}
    {%- set catalogue_query -%}
        select table_schema, table_name, column_name, data_type
        from information_schema.columns
        where table_catalog = {{ sql_string_literal(target.database) }}
            and lower(table_schema) not in ({% for name in exempt %}{{ sql_string_literal(name) }}{% if not loop.last %}, {% endif %}{% endfor %})
        order by table_schema, table_name, ordinal_position
    {%- endset -%}
    {%- set catalogue = run_query(catalogue_query) -%}
    {%- set checks = [] -%}
    {%- for row in catalogue.rows -%}
        {%- set schema_literal = sql_string_literal(row['table_schema']) -%}
        {%- set table_literal = sql_string_literal(row['table_name']) -%}
        {%- set column_literal = sql_string_literal(row['column_name']) -%}
        {%- if (row['column_name'] | lower) in personal_columns -%}
            {%- do checks.append(
                "select " ~ schema_literal ~ " as table_schema, " ~ table_literal ~ " as table_name, "
                ~ column_literal ~ " as column_name, 'personal_data_column' as finding, "
                ~ "cast(null as " ~ dbt.type_bigint() ~ ") as matching_values") -%}
        {%- elif (row['data_type'] | upper).startswith('VARCHAR') -%}
            {%- set relation = quoted_identifier(target.database) ~ '.' ~ quoted_identifier(row['table_schema']) ~ '.' ~ quoted_identifier(row['table_name']) -%}
            {%- do checks.append(
                "select " ~ schema_literal ~ " as table_schema, " ~ table_literal ~ " as table_name, "
                ~ column_literal ~ " as column_name, 'email_shaped_values' as finding, count(*) as matching_values "
                ~ "from (select " ~ quoted_identifier(row['column_name']) ~ " as scanned_value from " ~ relation
                ~ " limit " ~ sample_rows ~ ") as sampled "
                ~ "where " ~ looks_like_email('scanned_value') ~ " having count(*) > 0") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if checks | length == 0 -%}
        {{ return(no_personal_data_findings()) }}
    {%- endif -%}
    {{ return(checks | join('\nunion all\n')) }}
{% endmacro %}
