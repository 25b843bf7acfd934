{#- The text of a CSV input must be valid in var raw_csv_encoding (default utf-8). DuckDB's reader
    stops on the first invalid byte with a message about a CSV line; the whole file is checked
    first so the build stops with a message that names the input and the way out. Returns that
    message, or none when the file is valid (or another encoding is set). -#}
{% macro shop_csv_encoding_error(table_name, file_path) %}
    {%- if validated_raw_csv_encoding() != 'utf-8' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set decoded = run_query("select try(decode(content)) is null from read_blob(" ~ sql_string_literal(file_path) ~ ")") -%}
    {%- if not decoded.columns[0].values()[0] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return("Input " ~ file_path ~ " (" ~ table_name ~ ") is not valid UTF-8 text: it holds bytes that are no UTF-8 character"
              ~ " (a file saved as Latin-1 / Windows-1252?)" ~ shop_csv_first_invalid_utf8(file_path)
              ~ ". Save it as UTF-8, or set var raw_csv_encoding"
              ~ " (one of utf-8, latin-1, utf-16) to the encoding every CSV input is written in.") }}
{% endmacro %}
