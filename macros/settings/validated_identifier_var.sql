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
