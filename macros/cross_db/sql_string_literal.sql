{#- A value as a standard SQL string literal, single quotes doubled: for values from vars and
    data that end up inside SQL. -#}
{% macro sql_string_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
