{#- The shape of an e-mail address: the one pattern the personal-data test scans text columns for
    (macro personal_data_findings) and staging refuses in every text that leaves staging (ids,
    categories, countries, channels, categorical customer attributes). -#}
{% macro email_pattern() -%}
    {{ return('[^@\\s]+@[^@\\s]+\\.[A-Za-z]{2,}') }}
{%- endmacro %}
