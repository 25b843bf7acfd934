{#- A timestamp of an input column, or null when it does not parse: from the typed reading
    (`<column>__value`, a timestamp or date) where there is one, else from the text. -#}
{% macro shop_value_timestamp(column) -%}
    coalesce(
        {{ dbt.safe_cast(column ~ '__value', dbt.type_timestamp()) }},
        {{ dbt.safe_cast(column ~ '__text', dbt.type_timestamp()) }}
    )
{%- endmacro %}
