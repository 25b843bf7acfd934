{#- What each customer has bought, per product category: the lines of their purchases (completed
    orders before as_of_date) whose product is in the catalogue with a category. Lines without a
    catalogued product are left out: they cannot be recommended or compared. Empty when the
    order_items or products input is absent (the recommendation marts are then empty too).
    Grain: one row per customer and category bought.
    Memory: the grouping by purchase and category holds about a group per order line (23M at 10M
    orders); under a lower DuckDB memory limit it spills past 2GB instead of growing the build
    by 2 GB more (docs/decisions.md, "Per-model memory limits"). -#}
{{ config(
    pre_hook="{{ lowered_memory_limit('2GB') }}",
    post_hook="{{ restored_memory_limit() }}",
) }}
with

purchases as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_date
    from {{ ref('int_orders_classified') }} as orders
    where orders.is_purchase

),

order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}
    where category is not null

),

-- One row per purchase and category first, so that the orders are counted without DISTINCT:
-- DuckDB plans a grouped count(distinct) as a materialised copy of the whole join, grouped twice
-- and joined back, which ran out of memory_limit 8GB at 100M orders; two plain groupings did not.
purchase_categories as (

    select
        purchases.customer_id,
        products.category,
        purchases.order_id,
        purchases.ordered_date,
        count(*) as order_lines,
        sum(order_items.net_amount) as net_spend
    from order_items
    inner join purchases
        on order_items.order_id = purchases.order_id
    inner join products
        on order_items.product_id = products.product_id
    group by purchases.customer_id, products.category, purchases.order_id, purchases.ordered_date

),

final as (

    select
        customer_id,
        category,
        count(*) as orders,
        cast(sum(order_lines) as {{ dbt.type_bigint() }}) as order_lines,
        cast(sum(net_spend) as {{ type_money() }}) as net_spend,
        max(ordered_date) as last_bought_date
    from purchase_categories
    group by customer_id, category

)

select * from final
