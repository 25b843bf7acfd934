{#- Incremental staging of the large, dated inputs (orders, events).

    The checked table keeps, per row, the date it is filed under (source_date: the parsed date of
    the row, null when the row cannot be dated), its raw fingerprint and the version of the
    staging rules that judged it. A run compares the input with the table date by date (row
    count and a checksum of the raw fingerprints) and re-stages only:
    - the dates whose rows changed in any way (added, removed, edited, late arrivals of any age);
    - every row that cannot be dated, every date after today, and every date holding a row
      rejected as dated in the future (that judgement depends on the day of the build);
    - every date judged under other staging rules (a var such as max_order_amount changed);
    - for orders, every other version of an order id found on a re-staged date (which version
      is kept depends on all of them).
    `--full-refresh` stages everything and gives the same table (tested). A change to the SQL of
    a staging model itself needs `--full-refresh`, as for any dbt incremental model.

    Incremental only on the adapters in var incremental_staging_adapters (DuckDB by default:
    the custom strategy below deletes rows); a plain table elsewhere. The pre-hook checks, at
    run time, that the table being updated has the bookkeeping columns. -#}
{% macro incremental_staging_config() %}
    {%- if target.type in var('incremental_staging_adapters') -%}
        {{ return({'materialized': 'incremental', 'incremental_strategy': 'replace_source_dates', 'on_schema_change': 'ignore',
                   'pre_hook': '{{ require_incremental_staging_columns() }}'}) }}
    {%- endif -%}
    {{ return({'materialized': 'table'}) }}
{% endmacro %}


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


{#- The dates to re-stage (source_date, input_rows): the input (a CTE with source_date and
    raw_fingerprint per row) against the checked table being built. The model names this
    select's CTE replaced_dates. -#}
{% macro incremental_staging_replaced_dates(dated_cte, rules_version) %}
    select
        coalesce(input_dates.source_date, staged_dates.source_date) as source_date,
        coalesce(input_dates.input_rows, 0) as input_rows
    from (
        select
            source_date,
            count(*) as input_rows,
            {{ fingerprint_checksum('raw_fingerprint') }} as fingerprint_checksum
        from {{ dated_cte }}
        where source_date is not null
        group by source_date
    ) as input_dates
    full outer join (
        select
            source_date,
            count(*) as staged_rows,
            {{ fingerprint_checksum('raw_fingerprint') }} as fingerprint_checksum,
            max(case when rejection_reason like 'future%' then 1 else 0 end) as has_future_rows,
            min(staging_rules_version) as min_rules_version,
            max(staging_rules_version) as max_rules_version
        from {{ this }}
        where source_date is not null
        group by source_date
    ) as staged_dates
        on input_dates.source_date = staged_dates.source_date
    where
        input_dates.source_date is null
        or staged_dates.source_date is null
        or input_dates.input_rows != staged_dates.staged_rows
        or input_dates.fingerprint_checksum != staged_dates.fingerprint_checksum
        or input_dates.source_date > current_date
        or staged_dates.has_future_rows = 1
        or staged_dates.min_rules_version != {{ rules_version }}
        or staged_dates.max_rules_version != {{ rules_version }}
{% endmacro %}


{#- The date a row is filed under: the date of its timestamp, null when there is none or it is
    not a calendar date (DuckDB parses 'infinity'; such rows are rejected, and staged every run). -#}
{% macro incremental_staging_source_date(timestamp_column) -%}
    case
        when cast({{ timestamp_column }} as date) between cast('0001-01-01' as date) and cast('9999-12-31' as date)
            then cast({{ timestamp_column }} as date)
    end
{%- endmacro %}


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


{#- Pre-hook of the incremental staging models: a checked table built before incremental staging
    lacks its bookkeeping columns. Renders no SQL of its own. -#}
{% macro require_incremental_staging_columns() %}
    {%- if execute and is_incremental() -%}
        {%- set present = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- for column_name in ['source_date', 'raw_fingerprint', 'staging_rules_version'] -%}
            {%- if column_name not in present -%}
                {{ exceptions.raise_compiler_error(this ~ " was built by an earlier version of this project and has no column " ~ column_name ~ ". Rebuild it once with: dbt build --full-refresh --select " ~ model.name ~ "+") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}


{#- An order-independent checksum of a date's raw fingerprints. -#}
{% macro fingerprint_checksum(column_name) %}
    {{ return(adapter.dispatch('fingerprint_checksum', 'customer_segmentation')(column_name)) }}
{% endmacro %}

{#- DuckDB's fingerprint is a 64-bit integer hash: the sum is exact (128-bit). -#}
{% macro duckdb__fingerprint_checksum(column_name) -%}
    sum(cast({{ column_name }} as hugeint))
{%- endmacro %}

{#- Elsewhere the fingerprint is md5 text, which no portable SQL sums: an adapter added to var
    incremental_staging_adapters needs its own <adapter>__fingerprint_checksum first. -#}
{% macro default__fingerprint_checksum(column_name) -%}
    {{ exceptions.raise_compiler_error("Incremental staging has no fingerprint checksum for the " ~ target.type ~ " adapter. Remove it from var incremental_staging_adapters (staging is then rebuilt as a table each run), or add a macro " ~ target.type ~ "__fingerprint_checksum.") }}
{%- endmacro %}
