{#- The sensitive attributes the fairness checks compare groups of customers on: gender, age band,
    and the shop's customer attributes declared sensitive (var customer_attributes; a numeric one
    by its band). Columns of int_customer_features. -#}
{% macro fairness_attributes() -%}
    {%- set attributes = ['gender', 'age_band'] -%}
    {%- for attribute in customer_attributes() if attribute.sensitive -%}
        {%- do attributes.append(attribute.column) -%}
    {%- endfor -%}
    {{ return(attributes) }}
{%- endmacro %}
