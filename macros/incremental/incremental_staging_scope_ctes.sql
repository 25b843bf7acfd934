{#- The CTEs that decide which input rows an incremental run stages (each with a trailing comma;
    nothing on a full build, which stages every row):
    - replaced_dates: the dates to re-stage, from dates_cte (the input with source_date and
      raw_fingerprint per row);
    - touched_versions, when version_column is given (a column of both the input and the checked
      table naming the entity whose versions compete, such as order_id): the entities with a
      version on a replaced date or without a date, in versions_cte (the input with source_date
      and version_column per row; dates_cte when not given) or in the checked table, including
      entities whose row on a replaced date has since left the input.
    Macro incremental_staging_scoped_rows then picks the rows of any reading of the input. A model
    that reads its input more than once (so that no step holds every row in memory) gives each
    of these its own reading. -#}
{% macro incremental_staging_scope_ctes(dates_cte, rules_version, version_column=none, versions_cte=none) %}
{%- if is_incremental() %}
{%- set versions_cte = versions_cte or dates_cte %}
replaced_dates as (
    {{ incremental_staging_replaced_dates(dates_cte, rules_version) }}
),
{%- if version_column %}

touched_versions as (
    select {{ versions_cte }}.{{ version_column }}
    from {{ versions_cte }}
    left join replaced_dates
        on {{ versions_cte }}.source_date = replaced_dates.source_date
    where {{ versions_cte }}.source_date is null or replaced_dates.source_date is not null
    union
    select staged.{{ version_column }}
    from {{ this }} as staged
    left join replaced_dates
        on staged.source_date = replaced_dates.source_date
    where staged.source_date is null or replaced_dates.source_date is not null
),
{%- endif %}
{%- endif %}
{% endmacro %}
