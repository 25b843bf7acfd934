{#- The rows of filed_cte (a reading of the input with source_date, and version_column when
    given) that a run stages, as a select: every row on a full build; on an incremental one
    (after macro incremental_staging_scope_ctes) the rows on replaced dates or without a date
    (replace_scope 'date') and every other version of the entities touched there (replace_scope
    'row': one row replaced by its key). -#}
{% macro incremental_staging_scoped_rows(filed_cte, version_column=none) %}
{%- if not is_incremental() %}
    select * from {{ filed_cte }}
{%- else %}
    select
        {{ filed_cte }}.*,
        case
            when {{ filed_cte }}.source_date is null or replaced_dates.source_date is not null then 'date'
            else 'row'
        end as replace_scope
    from {{ filed_cte }}
    left join replaced_dates
        on {{ filed_cte }}.source_date = replaced_dates.source_date
    {%- if version_column %}
    left join touched_versions
        on {{ filed_cte }}.{{ version_column }} = touched_versions.{{ version_column }}
    {%- endif %}
    where
        {{ filed_cte }}.source_date is null
        or replaced_dates.source_date is not null
        {%- if version_column %}
        or touched_versions.{{ version_column }} is not null
        {%- endif %}
{%- endif %}
{% endmacro %}
