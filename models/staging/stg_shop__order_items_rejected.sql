with

checked as (

    select * from {{ ref('stg_shop__order_items_checked') }}

),

rejected as (

    select
        {{ source_row_key() }} as source_row_key,
        rejection_reason,
        raw_order_id,
        raw_product_id,
        raw_quantity,
        raw_unit_price,
        raw_discount_amount
    from checked
    where rejection_reason is not null

)

select * from rejected
