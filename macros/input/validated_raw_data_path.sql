{#- raw_data_path comes from --vars: it is only ever used inside a quoted string literal, and
    characters that have no business in a directory name are refused outright. -#}
{% macro validated_raw_data_path() %}
    {%- set path = var('raw_data_path') | string -%}
    {%- if path | trim == '' -%}
        {{ exceptions.raise_compiler_error("var raw_data_path is empty: set it to the directory holding the input files, or set raw_schema to read warehouse tables.") }}
    {%- endif -%}
    {%- for forbidden in ["'", '"', ';', '\n', '\r', '*', '?', '[', '{'] -%}
        {%- if forbidden in path -%}
            {{ exceptions.raise_compiler_error("var raw_data_path contains the character " ~ (forbidden | tojson) ~ ", which is not allowed in the input directory: " ~ (path | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(path.rstrip('/')) }}
{% endmacro %}
