with

checked as (

    select * from {{ ref('stg_shop__events_checked') }}

),

rejected as (

    select
        source_row_key,
        rejection_reason,
        raw_customer_id,
        raw_session_id,
        raw_event_at,
        raw_event_type,
        raw_product_id,
        raw_duration_seconds
    from checked
    where rejection_reason is not null

)

select * from rejected
