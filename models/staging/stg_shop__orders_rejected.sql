with

checked as (

    select * from {{ ref('stg_shop__orders_checked') }}

),

rejected as (

    select
        source_row_key,
        rejection_reason,
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_amount,
        raw_status
    from checked
    where rejection_reason is not null

)

select * from rejected
