{#- Which optional inputs of customer behaviour the shop sent (any staged row). A behaviour
    feature is 0 for a customer without such rows when the input is present, and null for every
    customer when it is absent (int_customer_features_by_cutoff). This is a fact about the shop,
    not about one customer: one-customer assignment (customer_segmentation.assign) reads it from
    the build instead of recomputing it from the customer's own rows. -#}
with

events as (

    select count(*) as staged_rows from {{ ref('stg_shop__events') }}

),

order_items as (

    select count(*) as staged_rows from {{ ref('stg_shop__order_items') }}

),

reviews as (

    select count(*) as staged_rows from {{ ref('stg_shop__reviews') }}

),

final as (

    select
        events.staged_rows > 0 as has_events,
        order_items.staged_rows > 0 as has_order_items,
        reviews.staged_rows > 0 as has_reviews
    from events
    cross join order_items
    cross join reviews

)

select * from final
