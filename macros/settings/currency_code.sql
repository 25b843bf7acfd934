{#- var currency_code, checked: three letters (ISO 4217), upper case. -#}
{% macro currency_code() %}
    {%- set code = (var('currency_code') or '') | string | trim | upper -%}
    {%- if not modules.re.fullmatch('[A-Z]{3}', code) -%}
        {{ exceptions.raise_compiler_error("var currency_code must be a three-letter ISO 4217 code such as EUR, GBP or USD, got " ~ (var('currency_code') | tojson)) }}
    {%- endif -%}
    {{ return(code) }}
{% endmacro %}
