{#- A numeric var rendered as a SQL number literal, after checking that it is one: a number, or
    text that is a plain decimal number, at least `minimum` (and whole when `whole`). -#}
{% macro validated_number_var(name, minimum=none, whole=false) %}
    {%- set value = var(name) -%}
    {%- set text = value | string | trim -%}
    {%- if value is boolean or value is none or not modules.re.fullmatch('[0-9]+(\\.[0-9]+)?', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a non-negative number, got " ~ (text | tojson)) }}
    {%- endif -%}
    {%- if whole and '.' in text -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number, got " ~ (text | tojson)) }}
    {%- endif -%}
    {%- if minimum is not none and (text | float) < minimum -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be at least " ~ minimum ~ ", got " ~ (text | tojson)) }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}
