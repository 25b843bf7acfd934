{#- A boolean var, after checking that it is one (true or false, or their YAML/text spellings). -#}
{% macro validated_boolean_var(name) %}
    {%- set value = var(name) -%}
    {%- if value is boolean -%}
        {{ return(value) }}
    {%- endif -%}
    {%- set text = value | string | lower | trim -%}
    {%- if text not in ['true', 'false'] -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be true or false, got " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(text == 'true') }}
{% endmacro %}
