{#- The raw text of an input column, as the ingest step's text column gives it: the text where
    there is no typed reading, else the typed value written as text (which is its text). Staging
    computes it only for the rows it rejects. -#}
{% macro shop_value_raw_text(column) -%}
    coalesce({{ column }}__text, cast({{ column }}__value as {{ dbt.type_string() }}))
{%- endmacro %}
