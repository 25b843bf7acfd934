{#- Scratch tables of a kmeans_sql model: <model>__<suffix> next to the model, written by its
    pre-hook (one statement per step of an iterative algorithm) and dropped by its post-hook. -#}
{% macro kmeans_sql_scratch_relation(suffix) %}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__' ~ suffix}, type='table')) }}
{% endmacro %}


{#- (Re)creates a scratch table from a query, with the model's config (Parquet on Spark). -#}
{% macro kmeans_sql_replace_table(relation, sql) %}
    {%- do adapter.drop_relation(relation) -%}
    {%- do run_query(get_create_table_as_sql(False, relation, sql)) -%}
{% endmacro %}


{#- Post-hook: drops the scratch tables; renders no SQL of its own. -#}
{% macro kmeans_sql_drop_scratch(suffixes) %}
    {%- if execute -%}
        {%- for suffix in suffixes -%}
            {%- do adapter.drop_relation(kmeans_sql_scratch_relation(suffix)) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
