{#- The var as_of_date, validated (YYYY-MM-DD and a real calendar date) and rendered as a date
    literal, or none when the var is unset. Anything else stops the build: the value comes from
    --vars and must never reach the SQL unchecked. -#}
{% macro as_of_date_literal() %}
    {{ return(date_var_literal('as_of_date')) }}
{% endmacro %}
