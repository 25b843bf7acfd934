{#- Every raw order row, typed, with the reason it is rejected (null when it is kept).
    stg_shop__orders keeps the good rows, stg_shop__orders_rejected the others: together they
    account for every input row. Orders are the one required input: absent or empty, they stop
    the build. -#}
{{ config(**incremental_staging_config()) }}
{%- set orders_input = shop_input_relation('orders') -%}
{%- set max_order_amount = validated_number_var('max_order_amount', minimum=1) -%}
{#- null earliest_order_date: no lower bound. -#}
{%- set earliest_order_date = date_var_literal('earliest_order_date') or "cast('0001-01-01' as date)" -%}
{%- set raw_columns = ['raw_order_id', 'raw_customer_id', 'raw_ordered_at', 'raw_amount', 'raw_status'] -%}
{#- The version of the rules' settings (a date staged under other settings is staged again): the
    vars, and the status map seed as the run reads it. rules revision 2: ids shaped like e-mail
    addresses are refused (personal_data_in_*). -#}
{%- set rules_settings = sql_string_literal(['rules 2', max_order_amount, earliest_order_date, ''] | join('|')) -%}
{%- set rules_version = '(select staging_rules.rules_version from staging_rules)' -%}

with

status_map as (

    select * from {{ ref('order_status_map') }}

),

staging_rules as (

    select
        {{ dbt.hash(rules_settings ~ " || coalesce(" ~ dbt.listagg("status_spelling || '=' || status", "','", "order by status_spelling, status") ~ ", '')") }}
            as rules_version
    from status_map

),

source_rows as (

    select
        order_id as raw_order_id,
        customer_id as raw_customer_id,
        ordered_at as raw_ordered_at,
        amount as raw_amount,
        status as raw_status
    from {{ orders_input }}

),

dated as (

    select
        source_rows.*,
        nullif(trim(raw_order_id), '') as order_id,
        {{ dbt.safe_cast('raw_ordered_at', dbt.type_timestamp()) }} as ordered_at,
        {{ raw_row_fingerprint(raw_columns) }} as raw_fingerprint
    from source_rows

),

filed as (

    select
        *,
        {{ incremental_staging_source_date('ordered_at') }} as source_date
    from dated

),

-- Which version of an order is kept depends on all its versions: an incremental run stages the
-- other versions of an order found on a re-staged date too.
{{ incremental_staging_scoped_ctes('filed', rules_version, version_column='order_id') }}

typed as (

    select
        scoped.*,
        nullif(trim(raw_customer_id), '') as customer_id,
        {{ dbt.safe_cast('raw_amount', type_money()) }} as amount,
        lower(trim(raw_status)) as status_text,
        status_map.status as mapped_status
    from scoped
    left join status_map
        on lower(trim(scoped.raw_status)) = status_map.status_spelling

),

validated as (

    select
        *,
        -- A null or blank status means completed (input contract).
        case
            when status_text is null or status_text = '' then 'completed'
            else mapped_status
        end as status,
        case
            when order_id is null then 'missing_order_id'
            when customer_id is null then 'missing_customer_id'
            -- Ids leave staging: one shaped like an e-mail address would carry personal data.
            when {{ looks_like_email('order_id') }} then 'personal_data_in_order_id'
            when {{ looks_like_email('customer_id') }} then 'personal_data_in_customer_id'
            when nullif(trim(raw_ordered_at), '') is null then 'missing_ordered_at'
            when ordered_at is null then 'unparseable_ordered_at'
            -- Dated after the day of the build: a clock or export error, not an order yet.
            when cast(ordered_at as date) > current_date then 'future_ordered_at'
            -- Before var earliest_order_date: a placeholder such as 1900-01-01 or 1970-01-01.
            when cast(ordered_at as date) < {{ earliest_order_date }} then 'implausible_ordered_at'
            when nullif(trim(raw_amount), '') is null then 'missing_amount'
            when amount is null then 'unparseable_amount'
            -- Beyond var max_order_amount either way: a typo or a test order, not a purchase.
            when abs(amount) > {{ max_order_amount }} then 'implausible_amount'
            when status_text is not null and status_text != '' and mapped_status is null
                then 'unknown_status'
        end as validation_failure
    from typed

),

-- Repeated order ids and identical raw rows are rare. Only the rows concerned are ranked with
-- windows; every other row is the one version of its order and the first occurrence of its
-- values. Windows over every row would partition and sort the whole table for the few repeats.
repeated_order_ids as (

    select order_id
    from validated
    where validation_failure is null
    group by order_id
    having count(*) > 1

),

repeated_fingerprints as (

    select raw_fingerprint
    from validated
    group by raw_fingerprint
    having count(*) > 1

),

flagged as (

    select
        validated.*,
        repeated_order_ids.order_id is not null
        or repeated_fingerprints.raw_fingerprint is not null as is_repeated
    from validated
    left join repeated_order_ids
        on
            validated.validation_failure is null
            and validated.order_id = repeated_order_ids.order_id
    left join repeated_fingerprints
        on validated.raw_fingerprint = repeated_fingerprints.raw_fingerprint

),

single_rows as (

    select
        *,
        1 as raw_occurrence,
        validation_failure as rejection_reason
    from flagged
    where not is_repeated

),

ranked as (

    select
        *,
        {{ row_fingerprint(['order_id', 'customer_id', 'ordered_at', 'amount', 'status']) }} as typed_fingerprint,
        -- Among valid rows sharing an order_id, keep the latest version; ties are broken on the
        -- values themselves so the choice never depends on file order.
        row_number() over (
            partition by case when validation_failure is null then order_id end
            order by ordered_at desc, amount desc, status asc, customer_id asc
        ) as version_rank,
        -- Numbered within the fingerprint: keys stay unique even if two rows' values collide.
        row_number() over (
            partition by raw_fingerprint
            order by {{ raw_columns | join(', ') }}
        ) as raw_occurrence
    from flagged
    where is_repeated

),

repeated_rows as (

    select
        *,
        coalesce(
            validation_failure,
            case
                when version_rank > 1 and typed_fingerprint = first_value(typed_fingerprint)
                        over (
                            partition by case when validation_failure is null then order_id end
                            order by version_rank
                        )
                    then 'duplicate_row'
                when version_rank > 1 then 'conflicting_duplicate_order_id'
            end
        ) as rejection_reason
    from ranked

),

numbered as (

    -- Explicit column lists: a union by position stays portable.
    select
        raw_fingerprint,
        raw_occurrence,
        order_id,
        customer_id,
        ordered_at,
        amount,
        status,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_amount,
        raw_status,
        rejection_reason,
        source_date{% if is_incremental() %},
        replace_scope{% endif %}
    from single_rows
    union all
    select
        raw_fingerprint,
        raw_occurrence,
        order_id,
        customer_id,
        ordered_at,
        amount,
        status,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_amount,
        raw_status,
        rejection_reason,
        source_date{% if is_incremental() %},
        replace_scope{% endif %}
    from repeated_rows

),

checked as (

    select
        {{ source_row_key() }} as source_row_key,
        order_id,
        customer_id,
        ordered_at,
        amount,
        status,
        {{- raw_text_of_rejected(raw_columns, 'rejection_reason is not null') }}
        rejection_reason,
        source_date,
        raw_fingerprint,
        {{ rules_version }} as staging_rules_version{% if is_incremental() %},
        replace_scope{% endif %}
    from numbered

)

select * from checked
{% if is_incremental() -%}
union all
{{ incremental_staging_emptied_dates(['source_row_key', 'order_id', 'customer_id', 'ordered_at', 'amount', 'status', 'raw_order_id', 'raw_customer_id', 'raw_ordered_at', 'raw_amount', 'raw_status', 'rejection_reason']) }}
{%- endif %}
