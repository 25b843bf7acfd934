{#- Every raw browsing event, typed, with the reason it is rejected (null when kept).
    Anonymous events (no customer_id) cannot describe a customer and are rejected with a reason.
    Values are read typed where the input's type allows it (Parquet timestamps and numbers,
    docs/input.md "Typed reads"), and as text otherwise: the text of a typed value is written
    only for the rejected rows. The input is read once to find the rare repeated raw rows, then
    once per branch (the other rows, and those), so that no step holds every row in memory. -#}
{{ config(**incremental_staging_config()) }}
{%- set events_input = shop_input_relation('events') -%}
{#- One event lasting longer than a day is a tab left open or a broken timer (NaN and infinity
    compare above any number on DuckDB, Spark and Postgres, so they land here too). -#}
{%- set max_event_duration_seconds = 86400 -%}
{%- set input_columns = ['customer_id', 'session_id', 'event_at', 'event_type', 'product_id', 'duration_seconds'] -%}
{%- set raw_columns = shop_raw_column_names(input_columns).raw -%}
{%- set read_columns = shop_raw_column_names(input_columns).readings -%}
{%- set readings = (['dates'] if is_incremental() else []) + ['fingerprints', 'single', 'repeated'] -%}
{#- The rules have no settings: the version changes with this model's SQL (2: customer ids shaped
    like e-mail addresses are refused), so that a warehouse staged under other rules is
    re-staged. -#}
{%- set rules_version = "'2'" -%}

-- sqlfluff cannot place the indentation of the CTEs a Jinja loop writes (LT02) until the loops
-- end: the layout below follows the house style by hand.
-- noqa: disable=LT02
with
{#- The input is read once for the raw fingerprints seen more than once, then once per branch of
    the same steps (the rows without a repeat, and the others); an incremental run reads it once
    more first (for the dates to re-stage). Each reading has its own steps: a step shared by two
    readers would be held in memory whole. -#}
{%- for reading in readings %}

{{ reading }}_input_rows as (

    select
        {%- for column_name in input_columns %}
        {{ column_name }}__value as raw_{{ column_name }}__value,
        {{ column_name }}__text as raw_{{ column_name }}__text{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ events_input }}

),

{{ reading }}_dated as (

    select
        *,
        {{ shop_value_timestamp('raw_event_at') }} as event_at,
        {{ raw_row_fingerprint(read_columns) }} as raw_fingerprint
    from {{ reading }}_input_rows

),

{{ reading }}_filed as (

    select
        *,
        {{ incremental_staging_source_date('event_at') }} as source_date
    from {{ reading }}_dated

),
{%- if reading == 'dates' %}

{{ incremental_staging_scope_ctes('dates_filed', rules_version) }}
{%- else %}

{{ reading }}_scoped as (
    {{ incremental_staging_scoped_rows(reading ~ '_filed') }}
),
{%- endif %}
{%- if reading == 'fingerprints' %}

-- Identical raw rows are rare. Only rows whose fingerprint is seen more than once are numbered
-- with windows; every other row is the first occurrence of its values. Windows over every row
-- would partition and sort the whole table for the few repeats.
repeated_fingerprints as (

    select raw_fingerprint
    from fingerprints_scoped
    group by raw_fingerprint
    having count(*) > 1

),
{%- elif reading in ('single', 'repeated') %}

{{ reading }}_typed as (

    select
        {{ reading }}_scoped.*,
        {{ shop_value_id('raw_customer_id') }} as customer_id,
        {{ shop_value_id('raw_session_id') }} as session_id,
        lower(trim({{ shop_value_raw_text('raw_event_type') }})) as event_type,
        {{ shop_value_id('raw_product_id') }} as product_id,
        {{ shop_value_number('raw_duration_seconds', type_double()) }} as duration_seconds
    from {{ reading }}_scoped
    left join repeated_fingerprints
        on {{ reading }}_scoped.raw_fingerprint = repeated_fingerprints.raw_fingerprint
    where repeated_fingerprints.raw_fingerprint is {{ 'null' if reading == 'single' else 'not null' }}

),
{%- endif %}
{%- endfor %}
-- noqa: enable=LT02

single_rows as (

    select
        *,
        1 as raw_occurrence,
        1 as value_occurrence
    from single_typed

),

repeated_numbered as (

    select
        *,
        -- Numbered within the fingerprint: keys stay unique even if two rows' values collide.
        row_number() over (
            partition by raw_fingerprint order by {{ read_columns | join(', ') }}
        ) as raw_occurrence
    from repeated_typed

),

repeated_rows as (

    select
        *,
        -- A duplicate is confirmed on the values themselves; of identical rows the first
        -- occurrence (key <fingerprint>-1) is kept, whatever the engine or the run.
        row_number() over (
            partition by {{ read_columns | join(', ') }} order by raw_occurrence
        ) as value_occurrence
    from repeated_numbered

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
            when not {{ shop_value_is_blank('raw_duration_seconds') }} and duration_seconds is null
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
