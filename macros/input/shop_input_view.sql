{#- A view the ingest step writes in the staging schema (the schema of the staging models). -#}
{% macro shop_input_view(identifier) %}
    {{ return(api.Relation.create(
        database=target.database or none,
        schema=generate_schema_name('staging', none) | trim,
        identifier=identifier,
        type='view')) }}
{% endmacro %}
