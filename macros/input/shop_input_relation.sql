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
