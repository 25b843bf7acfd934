{#- The band of a numeric value between increasing cut points, named like the age bands: with
    bins [25000, 50000] a value is 'under_25000', '25000_50000' (from 25000 up to, not
    including, 50000) or '50000_plus'; a missing value is 'unknown'. -#}
{% macro customer_attribute_band(value, bins) -%}
    case
        when {{ value }} is null then 'unknown'
        {%- for cut in bins %}
        when {{ value }} < {{ cut }} then
            {%- if loop.first %} {{ sql_string_literal('under_' ~ cut) }}
            {%- else %} {{ sql_string_literal(loop.previtem ~ '_' ~ cut) }}
            {%- endif %}
        {%- endfor %}
        else {{ sql_string_literal(bins | last ~ '_plus') }}
    end
{%- endmacro %}
