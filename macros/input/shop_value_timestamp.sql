{#- A timestamp of an input column, or null when it does not parse: from the typed reading
    (`<column>__value`, a timestamp or date) where there is one, else from the text, as a CSV
    value always was. Both give the same value (macro shop_column_value). `column` names the
    pair of columns without the suffixes. -#}
{% macro shop_value_timestamp(column) -%}
    coalesce(
        {{ dbt.safe_cast(column ~ '__value', dbt.type_timestamp()) }},
        {{ dbt.safe_cast(column ~ '__text', dbt.type_timestamp()) }}
    )
{%- endmacro %}
