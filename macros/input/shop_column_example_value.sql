{#- One value of an input column, as text (at most 60 characters), for messages; none when the
    column has no values: every value is null, or NaN in a float column. -#}
{% macro shop_column_example_value(shop_table, column_name, found_type) %}
    {%- set quoted = adapter.quote(column_name) -%}
    {%- set has_value = quoted ~ " is not null" -%}
    {%- if modules.re.match('(float|double|real)', found_type | lower | trim) -%}
        {%- set has_value = has_value ~ " and not isnan(" ~ quoted ~ ")" -%}
    {%- endif -%}
    {%- set found = run_query("select cast(" ~ quoted ~ " as " ~ dbt.type_string() ~ ") from " ~ shop_table.sql
                              ~ " where " ~ has_value ~ " limit 1") -%}
    {%- if found.rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = found.columns[0].values()[0] | string -%}
    {{ return(text if text | length <= 60 else text[:57] ~ '...') }}
{% endmacro %}
