with

checked as (

    select * from {{ ref('stg_shop__reviews_checked') }}

),

rejected as (

    select
        source_row_key,
        rejection_reason,
        raw_customer_id,
        raw_product_id,
        raw_rating,
        raw_review_text,
        raw_reviewed_at
    from checked
    where rejection_reason is not null

)

select * from rejected
