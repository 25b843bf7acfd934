{#- Copies a directory of input files (<table>.parquet, the input contract) into tables
    <schema>.<table> of the target, so the project can then read them in warehouse mode
    (var raw_schema). Parquet only: CSV inputs are read by staging as text, which a table copy
    would not reproduce. An existing table of the same name is dropped first.

        dbt run-operation load_shop_tables --args '{path: data/demo, schema: raw_shop}'
        dbt run-operation load_shop_tables --args '{path: data/demo, schema: raw_shop, tables: [orders, customers]}'

    tables: the inputs to copy (default: all six); list only the files that exist. The Spark
    test job (tests/spark) loads the demo shop this way. Relative paths are resolved by the
    engine (the project root when dbt runs from there). -#}
{% macro load_shop_tables(path, schema, tables=['orders', 'customers', 'order_items', 'products', 'events', 'reviews']) %}
    {%- set directory = path | string -%}
    {%- for forbidden in ["'", '"', '`', ';', '\n', '\r', '*', '?', '[', '{'] -%}
        {%- if forbidden in directory -%}
            {{ exceptions.raise_compiler_error("load_shop_tables: path contains the character " ~ (forbidden | tojson) ~ ": " ~ (directory | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9_]+', schema | string) -%}
        {{ exceptions.raise_compiler_error("load_shop_tables: schema may only contain letters, digits and underscores, got " ~ (schema | string | tojson)) }}
    {%- endif -%}
    {%- do adapter.create_schema(api.Relation.create(database=target.database or none, schema=schema)) -%}
    {%- for table_name in tables -%}
        {%- if not modules.re.fullmatch('[a-z_]+', table_name | string) -%}
            {{ exceptions.raise_compiler_error("load_shop_tables: not a table name: " ~ (table_name | string | tojson)) }}
        {%- endif -%}
        {%- set file_path = directory.rstrip('/') ~ '/' ~ table_name ~ '.parquet' -%}
        {%- set relation = api.Relation.create(database=target.database or none, schema=schema, identifier=table_name, type='table') -%}
        {%- do adapter.drop_relation(relation) -%}
        {%- do run_query(adapter.dispatch('load_shop_table_sql', 'customer_segmentation')(relation, file_path)) -%}
        {%- do log("load_shop_tables: " ~ file_path ~ " -> " ~ relation, info=true) -%}
    {%- endfor -%}
{% endmacro %}


{% macro default__load_shop_table_sql(relation, file_path) -%}
    {{ exceptions.raise_compiler_error("load_shop_tables is implemented for DuckDB and Spark only, not " ~ target.type) }}
{%- endmacro %}


{#- DuckDB reads Parquet files with read_parquet(). -#}
{% macro duckdb__load_shop_table_sql(relation, file_path) -%}
    create table {{ relation }} as select * from read_parquet('{{ file_path }}')
{%- endmacro %}


{#- Spark queries a file directly as parquet.`path` and stores the copy as a Parquet table
    (no Delta: this runs on plain Apache Spark). -#}
{% macro spark__load_shop_table_sql(relation, file_path) -%}
    create table {{ relation }} using parquet as select * from parquet.`{{ file_path }}`
{%- endmacro %}
