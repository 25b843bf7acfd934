{#- What each customer buys: category mix and discounts, from the lines of their purchases
    (completed orders before each feature cutoff). One row per cutoff and customer with at least
    one staged line.
    Memory: at 10M orders the join of 25M order lines to the purchases and the grouping by
    customer and category hold about 1.9 GB; under a lower DuckDB memory limit they spill past
    1200MB, and the table blocks earlier models left cached are evicted first (docs/decisions.md,
    "Per-model memory limits"). -#}
{{ config(
    pre_hook="{{ lowered_memory_limit('1200MB') }}",
    post_hook="{{ restored_memory_limit() }}",
) }}
with

purchases as (

    select
        order_id,
        customer_id,
        ordered_date
    from {{ ref('int_orders_classified') }}
    where is_purchase

),

cutoff_dates as (

    {{ feature_cutoff_dates() }}

),

order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

purchased_lines as (

    select
        purchases.customer_id,
        purchases.ordered_date,
        -- A line whose product is not in the catalogue still counts, in category 'unknown'.
        coalesce(products.category, 'unknown') as category,
        order_items.discount_amount,
        order_items.net_amount
    from order_items
    inner join purchases
        on order_items.order_id = purchases.order_id
    left join products
        on order_items.product_id = products.product_id

),

-- The lines are joined and grouped once, by customer and category, with one column per cutoff
-- and measure (the lines of the purchases before that cutoff); the per-customer totals below are
-- summed from these groups (far fewer rows than the lines).
per_category_by_cutoff as (

    select
        purchased_lines.customer_id,
        purchased_lines.category,
        {%- for cutoff in feature_cutoff_roles() %}
            {%- set before_cutoff = 'purchased_lines.ordered_date < cutoff_dates.' ~ cutoff.role ~ '_cutoff_date' %}
            count(case when {{ before_cutoff }} then 1 end) as {{ cutoff.role }}__lines,
            sum(case when {{ before_cutoff }} then purchased_lines.discount_amount end)
                as {{ cutoff.role }}__category_discount_spend,
            sum(case when {{ before_cutoff }} then purchased_lines.net_amount end)
                as {{ cutoff.role }}__category_spend{% if not loop.last %},{% endif %}
        {%- endfor %}
    from purchased_lines
    cross join cutoff_dates
    group by purchased_lines.customer_id, purchased_lines.category

),

-- One row per cutoff, customer and category with a purchased line before the cutoff.
per_category as (

    {{ rows_at_feature_cutoffs(
        'per_category_by_cutoff',
        keys=['customer_id', 'category'],
        columns=['category_discount_spend', 'category_spend'],
        presence_column='lines',
    ) }}

),

top_category as (

    select
        cutoff_date,
        customer_id,
        category as top_category,
        category_spend as top_category_spend
    from (
        select
            *,
            row_number() over (
                partition by cutoff_date, customer_id order by category_spend desc, category asc
            ) as spend_rank
        from per_category
    ) as ranked_categories
    where spend_rank = 1

),

per_customer as (

    select
        cutoff_date,
        customer_id,
        count(*) as category_diversity,
        sum(category_discount_spend) as discount_spend,
        sum(category_spend) as net_item_spend
    from per_category
    group by cutoff_date, customer_id

),

final as (

    select
        per_customer.cutoff_date,
        per_customer.customer_id,
        per_customer.category_diversity,
        top_category.top_category,
        case
            when per_customer.net_item_spend > 0
                then cast(top_category.top_category_spend as {{ type_double() }}) / per_customer.net_item_spend
        end as top_category_share,
        -- Discount per amount before discounts, that is paid + discounted: in [0, 1] whenever
        -- neither is negative (staging guarantees both), whichever way the unit price was given
        -- and however the line amounts were rounded to cents.
        case
            when per_customer.net_item_spend + per_customer.discount_spend > 0
                then cast(per_customer.discount_spend as {{ type_double() }})
                    / (per_customer.net_item_spend + per_customer.discount_spend)
        end as discount_share
    from per_customer
    inner join top_category
        on
            per_customer.cutoff_date = top_category.cutoff_date
            and per_customer.customer_id = top_category.customer_id

)

select * from final
