{#- Where a CSV input that is not valid UTF-8 first goes wrong, for the error message: the row
    (counted after the header) and column, and the value as Latin-1 would read it, unless the
    column is personal data (var personal_data_columns): build logs are no place for names. The
    file is read as Latin-1, which maps every byte to a character, and the valid UTF-8 sequences
    are removed: a byte from 0x80 up that is left over is not UTF-8. Runs only on that error. -#}
{% macro shop_csv_first_invalid_utf8(file_path) %}
    {%- set valid_sequences = '[\\x{C2}-\\x{DF}][\\x{80}-\\x{BF}]|[\\x{E0}-\\x{EF}][\\x{80}-\\x{BF}]{2}|[\\x{F0}-\\x{F4}][\\x{80}-\\x{BF}]{3}' -%}
    {%- set query -%}
        with numbered as (
            select row_number() over () as row_number, *
            from read_csv({{ sql_string_literal(file_path) }}, header = true, all_varchar = true, encoding = 'latin-1')
        ),
        cells as (
            unpivot numbered on columns(* exclude (row_number)) into name column_name value raw_value
        )
        select row_number, column_name, raw_value
        from cells
        where regexp_matches(regexp_replace(raw_value, '{{ valid_sequences }}', '', 'g'), '[\x{80}-\x{FF}]')
        order by row_number, column_name
        limit 1
    {%- endset -%}
    {%- set found = run_query(query) -%}
    {%- if found.rows | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set row = found.rows[0] -%}
    {{ return(", first in row " ~ row[0] ~ " after the header, column '" ~ row[1] ~ "', read as Latin-1: "
              ~ example_for_message(row[1], row[2])) }}
{% endmacro %}
