{#- How much each segment buys of each product category, against all segmented customers.
    lift = share_of_segment_spend / overall_share_of_spend (above 1: the segment spends relatively
    more on it); buyer_lift the same for the share of customers buying it. Every segment appears
    with every category any segmented customer bought (0 when none of the segment did).
    Empty when the order_items or products input is absent (docs/activation.md).
    Grain: one row per segment and category. -#}
with

customer_segments as (

    select
        customer_id,
        segment_id,
        segment_name
    from {{ ref('customer_segments') }}

),

categories_bought as (

    select * from {{ ref('int_customers_categories_aggregated') }}

),

segmented_purchases as (

    select
        customer_segments.segment_id,
        categories_bought.customer_id,
        categories_bought.category,
        categories_bought.net_spend
    from categories_bought
    inner join customer_segments
        on categories_bought.customer_id = customer_segments.customer_id

),

segment_sizes as (

    select
        segment_id,
        segment_name,
        count(*) as segment_customers
    from customer_segments
    group by segment_id, segment_name

),

all_customers as (

    select count(*) as customers from customer_segments

),

per_category as (

    select
        category,
        count(distinct customer_id) as buyers,
        sum(net_spend) as spend
    from segmented_purchases
    group by category

),

all_spend as (

    select sum(spend) as spend from per_category

),

per_segment_category as (

    select
        segment_id,
        category,
        count(distinct customer_id) as buyers,
        sum(net_spend) as spend
    from segmented_purchases
    group by segment_id, category

),

per_segment as (

    select
        segment_id,
        sum(spend) as spend
    from per_segment_category
    group by segment_id

),

shares as (

    select
        segment_sizes.segment_id,
        segment_sizes.segment_name,
        per_category.category,
        segment_sizes.segment_customers,
        coalesce(per_segment_category.buyers, 0) as customers_buying,
        cast(coalesce(per_segment_category.spend, 0) as {{ type_money() }}) as category_spend,
        cast(coalesce(per_segment_category.buyers, 0) as {{ type_double() }})
        / segment_sizes.segment_customers as buyer_share,
        cast(per_category.buyers as {{ type_double() }}) / all_customers.customers as overall_buyer_share,
        case
            when per_segment.spend > 0
                then cast(coalesce(per_segment_category.spend, 0) as {{ type_double() }}) / per_segment.spend
        end as share_of_segment_spend,
        case
            when all_spend.spend > 0
                then cast(per_category.spend as {{ type_double() }}) / all_spend.spend
        end as overall_share_of_spend
    from segment_sizes
    cross join per_category
    cross join all_customers
    cross join all_spend
    left join per_segment_category
        on
            segment_sizes.segment_id = per_segment_category.segment_id
            and per_category.category = per_segment_category.category
    left join per_segment
        on segment_sizes.segment_id = per_segment.segment_id

),

final as (

    select
        segment_id,
        segment_name,
        category,
        segment_customers,
        customers_buying,
        buyer_share,
        category_spend,
        share_of_segment_spend,
        overall_share_of_spend,
        case
            when overall_share_of_spend > 0 then share_of_segment_spend / overall_share_of_spend
        end as lift,
        overall_buyer_share,
        case
            when overall_buyer_share > 0 then buyer_share / overall_buyer_share
        end as buyer_lift
    from shares

)

select * from final
