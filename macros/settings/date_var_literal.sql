{#- Any date var (as_of_date, earliest_order_date), validated the same way: a date literal, or none
    when the var is unset or blank. -#}
{% macro date_var_literal(name) %}
    {%- set raw_value = var(name) -%}
    {%- if raw_value is none or (raw_value | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = raw_value | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date written YYYY-MM-DD, got " ~ (text | tojson)) }}
    {%- endif -%}
    {%- set parts = text.split('-') | map('int') | list -%}
    {%- set days_in_month = [31, 29 if (parts[0] % 4 == 0 and (parts[0] % 100 != 0 or parts[0] % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if parts[1] < 1 or parts[1] > 12 or parts[2] < 1 or parts[2] > days_in_month[parts[1] - 1] -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " is not a calendar date: " ~ (text | tojson)) }}
    {%- endif -%}
    {{ return("cast('" ~ text ~ "' as date)") }}
{% endmacro %}
