{#- The settings of marts.customer_risk: var risk (a mapping, {} by default) over the defaults
    below, the one place they are declared (docs/risk.md explains each). A key that is not a
    setting, or a value of the wrong kind or out of range, stops the build and names the valid
    ones. Returns the complete mapping. -#}
{% macro risk_settings() %}
    {#- name: (default, minimum, maximum or none, whole number) -#}
    {%- set declared = {
        'min_orders': (4, 1, none, true),
        'rapid_return_days': (3, 1, none, true),
        'high_discount_rate': (0.3, 0.01, 1, false),
        'shop_percentile': (0.9, 0, 1, false),
        'min_return_rate': (0.15, 0, 1, false),
        'min_refund_rate': (0.15, 0, none, false),
        'min_high_discount_order_share': (0.5, 0, 1, false),
        'min_rapid_return_cycles': (2, 1, none, true),
        'review_min_return_signals': (2, 1, 3, true),
    } -%}
    {%- set given = var('risk', {}) or {} -%}
    {%- if given is not mapping -%}
        {{ exceptions.raise_compiler_error("var risk must be a mapping of settings (" ~ (declared.keys() | sort | join(', ')) ~ "), got " ~ (given | string | tojson)) }}
    {%- endif -%}
    {%- set unknown = given.keys() | reject('in', declared.keys() | list) | list -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error("var risk has unknown settings " ~ (unknown | sort | join(', ')) ~ "; valid: " ~ (declared.keys() | sort | join(', '))) }}
    {%- endif -%}
    {%- set settings = {} -%}
    {%- for name, spec in declared.items() -%}
        {%- set default, minimum, maximum, whole = spec -%}
        {%- set value = given.get(name, default) -%}
        {%- set text = value | string | trim -%}
        {%- if value is boolean or value is none or not modules.re.fullmatch('[0-9]+(\\.[0-9]+)?', text) or (whole and '.' in text) -%}
            {{ exceptions.raise_compiler_error("var risk." ~ name ~ " must be a non-negative " ~ ("whole number" if whole else "number") ~ ", got " ~ (value | string | tojson)) }}
        {%- endif -%}
        {%- set number = (text | int) if whole else (text | float) -%}
        {%- if number < minimum or (maximum is not none and number > maximum) -%}
            {{ exceptions.raise_compiler_error("var risk." ~ name ~ " must be between " ~ minimum ~ " and " ~ (maximum if maximum is not none else "any larger number") ~ ", got " ~ text) }}
        {%- endif -%}
        {%- do settings.update({name: number}) -%}
    {%- endfor -%}
    {{ return(settings) }}
{% endmacro %}
