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
