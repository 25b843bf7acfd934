{#- Markers for the re-staged dates that have no input row left, in the checked table's columns
    (leading_columns, then the bookkeeping ones), for a union after the re-staged rows. -#}
{% macro incremental_staging_emptied_dates(leading_columns) %}
    select
        {%- for column_name in leading_columns %}
        null as {{ column_name }},
        {%- endfor %}
        source_date,
        null as raw_fingerprint,
        null as staging_rules_version,
        'emptied' as replace_scope
    from replaced_dates
    where input_rows = 0
{% endmacro %}
