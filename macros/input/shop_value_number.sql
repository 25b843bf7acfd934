{#- A number of an input column in a staged type, or null when it does not parse: from the typed
    reading (`<column>__value`, through decimal(18, 2), which holds it exactly) where there is
    one, else from the text, as a CSV value always was. Both give the same value (macro
    shop_column_value). `column` names the pair of columns without the suffixes. -#}
{% macro shop_value_number(column, type) -%}
    coalesce(
        {{ dbt.safe_cast(dbt.safe_cast(column ~ '__value', type_money()), type) }},
        {{ dbt.safe_cast(column ~ '__text', type) }}
    )
{%- endmacro %}
