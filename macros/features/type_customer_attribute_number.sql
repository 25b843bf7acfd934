{#- The shop's numeric customer attributes (var customer_attributes): incomes, household sizes,
    scores. A fixed range, so that a value such as 1e300 is rejected in staging instead of
    overflowing a sum or a standard deviation downstream. -#}
{% macro type_customer_attribute_number() -%}
    decimal(18, 4)
{%- endmacro %}
