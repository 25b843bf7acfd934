{#- The date a row is filed under: the date of its timestamp, null when there is none or it is
    not a calendar date (DuckDB parses 'infinity'; such rows are rejected, and staged every run). -#}
{% macro incremental_staging_source_date(timestamp_column) -%}
    case
        when cast({{ timestamp_column }} as date) between cast('0001-01-01' as date) and cast('9999-12-31' as date)
            then cast({{ timestamp_column }} as date)
    end
{%- endmacro %}
