{#- The vars that say where the input is, checked (they end up inside SQL): raw_schema and
    raw_database in warehouse mode; raw_data_path and raw_csv_encoding in files mode. -#}
{% macro validated_shop_input_vars() %}
    {%- if var('raw_schema') -%}
        {%- do validated_identifier_var('raw_schema') -%}
        {%- do validated_identifier_var('raw_database') -%}
    {%- else -%}
        {%- do validated_raw_data_path() -%}
        {%- do validated_raw_csv_encoding() -%}
    {%- endif -%}
{% endmacro %}
