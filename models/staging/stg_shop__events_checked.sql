{#- Every raw browsing event, typed, with the reason it is rejected (null when kept).
    Anonymous events (no customer_id) cannot describe a customer and are rejected with a reason. -#}
{{ config(**incremental_staging_config()) }}
{%- set events_input = shop_input_relation('events') -%}
{#- One event lasting longer than a day is a tab left open or a broken timer (NaN and infinity
    compare above any number on DuckDB, Spark and Postgres, so they land here too). -#}
{%- set max_event_duration_seconds = 86400 -%}
{%- set raw_columns = ['raw_customer_id', 'raw_session_id', 'raw_event_at', 'raw_event_type', 'raw_product_id', 'raw_duration_seconds'] -%}
{#- The rules have no settings: the version changes with this model's SQL (2: customer ids shaped
    like e-mail addresses are refused), so that a warehouse staged under other rules is
    re-staged. -#}
{%- set rules_version = "'2'" -%}

with

source_rows as (

    select
        customer_id as raw_customer_id,
        session_id as raw_session_id,
        event_at as raw_event_at,
        event_type as raw_event_type,
        product_id as raw_product_id,
        duration_seconds as raw_duration_seconds
    from {{ events_input }}

),

dated as (

    select
        source_rows.*,
        {{ dbt.safe_cast('raw_event_at', dbt.type_timestamp()) }} as event_at,
        {{ raw_row_fingerprint(raw_columns) }} as raw_fingerprint
    from source_rows

),

filed as (

    select
        *,
        {{ incremental_staging_source_date('event_at') }} as source_date
    from dated

),

{{ incremental_staging_scoped_ctes('filed', rules_version) }}

typed as (

    select
        scoped.*,
        nullif(trim(raw_customer_id), '') as customer_id,
        nullif(trim(raw_session_id), '') as session_id,
        lower(trim(raw_event_type)) as event_type,
        nullif(trim(raw_product_id), '') as product_id,
        {{ dbt.safe_cast('raw_duration_seconds', type_double()) }} as duration_seconds
    from scoped

),

-- Identical raw rows are rare. Only rows whose fingerprint is seen more than once are numbered
-- with windows; every other row is the first occurrence of its values. Windows over every row
-- would partition and sort the whole table for the few repeats.
repeated_fingerprints as (

    select raw_fingerprint
    from typed
    group by raw_fingerprint
    having count(*) > 1

),

single_rows as (

    select
        typed.*,
        1 as raw_occurrence,
        1 as value_occurrence
    from typed
    left join repeated_fingerprints
        on typed.raw_fingerprint = repeated_fingerprints.raw_fingerprint
    where repeated_fingerprints.raw_fingerprint is null

),

repeated_rows as (

    select
        typed.*,
        -- Numbered within the fingerprint: keys stay unique even if two rows' values collide.
        row_number() over (
            partition by typed.raw_fingerprint order by {{ raw_columns | join(', ') }}
        ) as raw_occurrence,
        -- A duplicate is confirmed on the values themselves (Spark needs an ordered window).
        row_number() over (
            partition by {{ raw_columns | join(', ') }} order by {{ raw_columns | join(', ') }}
        ) as value_occurrence
    from typed
    inner join repeated_fingerprints
        on typed.raw_fingerprint = repeated_fingerprints.raw_fingerprint

),

numbered as (

    select * from single_rows
    union all
    select * from repeated_rows

),

validated as (

    select
        *,
        case
            when customer_id is null then 'missing_customer_id'
            when {{ looks_like_email('customer_id') }} then 'personal_data_in_customer_id'
            when session_id is null then 'missing_session_id'
            when event_at is null then 'missing_or_unparseable_event_at'
            when cast(event_at as date) > current_date then 'future_event_at'
            when event_type not in (
                    'page_view', 'product_view', 'search', 'add_to_cart',
                    'remove_from_cart', 'checkout', 'purchase'
                ) or event_type is null then 'unknown_event_type'
            when nullif(trim(raw_duration_seconds), '') is not null and duration_seconds is null
                then 'unparseable_duration_seconds'
            when duration_seconds < 0 then 'negative_duration_seconds'
            when duration_seconds > {{ max_event_duration_seconds }} then 'implausible_duration_seconds'
        end as validation_failure
    from numbered

),

judged as (

    select
        *,
        coalesce(
            validation_failure,
            case when value_occurrence > 1 then 'duplicate_row' end
        ) as rejection_reason
    from validated

),

checked as (

    select
        {{ source_row_key() }} as source_row_key,
        customer_id,
        session_id,
        event_type,
        product_id,
        duration_seconds,
        event_at,
        {{- raw_text_of_rejected(raw_columns, 'rejection_reason is not null') }}
        rejection_reason,
        source_date,
        raw_fingerprint,
        {{ rules_version }} as staging_rules_version{% if is_incremental() %},
        replace_scope{% endif %}
    from judged

)

select * from checked
{% if is_incremental() -%}
union all
{{ incremental_staging_emptied_dates(['source_row_key', 'customer_id', 'session_id', 'event_type', 'product_id', 'duration_seconds', 'event_at', 'raw_customer_id', 'raw_session_id', 'raw_event_at', 'raw_event_type', 'raw_product_id', 'raw_duration_seconds', 'rejection_reason']) }}
{%- endif %}
