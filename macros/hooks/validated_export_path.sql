{#- var export_path, checked like raw_data_path: none when unset or blank, else the path without a
    trailing slash. -#}
{% macro validated_export_path() %}
    {%- set value = var('export_path', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set path = value | string | trim -%}
    {%- for forbidden in ["'", '"', ';', '\n', '\r', '*', '?', '[', '{', '\\'] -%}
        {%- if forbidden in path -%}
            {{ exceptions.raise_compiler_error("var export_path contains the character " ~ (forbidden | tojson) ~ ", which is not allowed in the export directory: " ~ (path | tojson)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(path.rstrip('/') or '/') }}
{% endmacro %}
