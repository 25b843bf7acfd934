with

checked as (

    select * from {{ ref('stg_shop__products_checked') }}

),

rejected as (

    select
        source_row_key,
        rejection_reason,
        raw_product_id,
        raw_category,
        raw_brand,
        raw_list_price
    from checked
    where rejection_reason is not null

)

select * from rejected
