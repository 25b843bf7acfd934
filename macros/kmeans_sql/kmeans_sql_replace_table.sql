{#- (Re)creates a scratch table from a query, with the model's config (Parquet on Spark). -#}
{% macro kmeans_sql_replace_table(relation, sql) %}
    {%- do adapter.drop_relation(relation) -%}
    {%- do run_query(get_create_table_as_sql(False, relation, sql)) -%}
{% endmacro %}
