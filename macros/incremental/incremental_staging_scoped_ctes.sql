{#- The CTEs that pick the input rows a run stages, ending in `scoped` (each with a trailing
    comma). A full build stages every row of filed_cte (the input with source_date and
    raw_fingerprint per row). An incremental one stages the rows on replaced dates (replace_scope
    'date') and, when version_column is given (a column of both the input and the checked table
    naming the entity whose versions compete, such as order_id), every other version of those
    entities filed on other dates (replace_scope 'row'), including entities whose row on a
    replaced date has since left the input. -#}
{% macro incremental_staging_scoped_ctes(filed_cte, rules_version, version_column=none) %}
{%- if not is_incremental() %}
scoped as (
    select * from {{ filed_cte }}
),
{%- else %}
replaced_dates as (
    {{ incremental_staging_replaced_dates(filed_cte, rules_version) }}
),

on_replaced_dates as (
    select
        {{ filed_cte }}.*,
        {{ filed_cte }}.source_date is null or replaced_dates.source_date is not null as is_on_replaced_date
    from {{ filed_cte }}
    left join replaced_dates
        on {{ filed_cte }}.source_date = replaced_dates.source_date
),
{%- if version_column %}

touched_versions as (
    select {{ version_column }}
    from on_replaced_dates
    where is_on_replaced_date
    union
    select staged.{{ version_column }}
    from {{ this }} as staged
    left join replaced_dates
        on staged.source_date = replaced_dates.source_date
    where staged.source_date is null or replaced_dates.source_date is not null
),
{%- endif %}

scoped as (
    select
        *,
        'date' as replace_scope
    from on_replaced_dates
    where is_on_replaced_date
    {%- if version_column %}
    union all
    select
        on_replaced_dates.*,
        'row' as replace_scope
    from on_replaced_dates
    inner join touched_versions
        on on_replaced_dates.{{ version_column }} = touched_versions.{{ version_column }}
    where not on_replaced_dates.is_on_replaced_date
    {%- endif %}
),
{%- endif %}
{% endmacro %}
