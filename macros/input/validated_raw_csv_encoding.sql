{#- The encoding CSV inputs are read in; one of the encodings DuckDB's CSV reader knows. -#}
{% macro validated_raw_csv_encoding() %}
    {%- set encoding = var('raw_csv_encoding', 'utf-8') | string | lower | trim -%}
    {%- set known = {'utf-8': 'utf-8', 'utf8': 'utf-8', 'latin-1': 'latin-1', 'latin1': 'latin-1', 'iso-8859-1': 'latin-1', 'utf-16': 'utf-16', 'utf16': 'utf-16'} -%}
    {%- if encoding not in known -%}
        {{ exceptions.raise_compiler_error("var raw_csv_encoding must be one of utf-8, latin-1, utf-16, got " ~ (encoding | tojson)) }}
    {%- endif -%}
    {{ return(known[encoding]) }}
{% endmacro %}
