with

checked as (

    select * from {{ ref('stg_shop__reviews_checked') }}

),

kept as (

    select
        source_row_key as review_id,
        customer_id,
        product_id,
        rating,
        review_text,
        reviewed_at
    from checked
    where rejection_reason is null

)

select * from kept
