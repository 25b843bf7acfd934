{#- A double-quoted identifier, with embedded double quotes doubled. -#}
{% macro quoted_identifier(name) -%}
    "{{ name | string | replace('"', '""') }}"
{%- endmacro %}
