{#- The reader of one CSV input. Every column is read as text: staging casts each value and
    rejects the rows whose values do not parse, instead of letting type sniffing guess. -#}
{% macro shop_csv_reader(file_path) %}
    {{ return("read_csv(" ~ sql_string_literal(file_path) ~ ", header = true, all_varchar = true, encoding = "
              ~ sql_string_literal(validated_raw_csv_encoding()) ~ ")") }}
{% endmacro %}
