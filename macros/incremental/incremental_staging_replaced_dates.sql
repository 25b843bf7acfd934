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
