with

checked as (

    select * from {{ ref('stg_shop__products_checked') }}

),

kept as (

    select
        product_id,
        category,
        brand,
        list_price
    from checked
    where rejection_reason is null

)

select * from kept
