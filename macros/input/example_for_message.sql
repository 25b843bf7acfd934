{#- A value quoted for an error message, or a note that it is withheld when its column is personal
    data (var personal_data_columns): build logs are shared and kept. -#}
{% macro example_for_message(column_name, value) %}
    {%- set personal_columns = [] -%}
    {%- for name in var('personal_data_columns') -%}
        {%- do personal_columns.append(name | string | lower) -%}
    {%- endfor -%}
    {%- if (column_name | string | lower) in personal_columns -%}
        {{ return('(not shown: a personal-data column)') }}
    {%- endif -%}
    {{ return("'" ~ (value | string) ~ "'") }}
{% endmacro %}
