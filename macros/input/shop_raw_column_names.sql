{#- The names a staging model gives an input's columns as it reads them from the ingest view:
    `raw` has raw_<column> for each column, `readings` has raw_<column>__value and
    raw_<column>__text for each (docs/input.md "Typed reads"), the columns its raw fingerprint
    hashes. -#}
{% macro shop_raw_column_names(input_columns) %}
    {%- set names = {'raw': [], 'readings': []} -%}
    {%- for column_name in input_columns -%}
        {%- do names.raw.append('raw_' ~ column_name) -%}
        {%- do names.readings.append('raw_' ~ column_name ~ '__value') -%}
        {%- do names.readings.append('raw_' ~ column_name ~ '__text') -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}
