{#- The strategy: the batch holds the re-staged rows with replace_scope 'date' (the whole date is
    replaced), 'row' (one row replaced by its key: another version of an order on a date that is
    not re-staged) or 'emptied' (a marker for a date that no longer has any input row). -#}
{% macro get_incremental_replace_source_dates_sql(arg_dict) %}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set batch_relation = arg_dict['temp_relation'] -%}
    {%- set column_list = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target_relation }}
    where
        source_date is null
        or source_date in (
            select source_date from {{ batch_relation }}
            where replace_scope in ('date', 'emptied') and source_date is not null
        )
        or source_row_key in (
            select source_row_key from {{ batch_relation }} where replace_scope = 'row'
        );
    insert into {{ target_relation }} ({{ column_list }})
    select {{ column_list }} from {{ batch_relation }} where replace_scope != 'emptied'
{% endmacro %}
