{#- Browsing behaviour per customer from events before each feature cutoff. One row per cutoff
    and customer with at least one event before it. -#}
with

events as (

    select * from {{ ref('stg_shop__events') }}

),

cutoffs as (

    select cutoff_date from {{ ref('int_feature_cutoffs') }}

),

events_in_window as (

    select
        cutoffs.cutoff_date,
        events.*
    from events
    inner join cutoffs
        on cast(events.event_at as date) < cutoffs.cutoff_date

),

per_session as (

    select
        cutoff_date,
        customer_id,
        session_id,
        sum(coalesce(duration_seconds, 0)) as session_seconds,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        max(case when event_type = 'add_to_cart' then 1 else 0 end) as has_add_to_cart,
        max(case when event_type = 'purchase' then 1 else 0 end) as has_purchase
    from events_in_window
    group by cutoff_date, customer_id, session_id

),

final as (

    select
        cutoff_date,
        customer_id,
        count(*) as sessions,
        sum(session_seconds) / 60.0 as browsing_minutes,
        cast(sum(product_views) as {{ type_double() }}) / count(*) as product_views_per_session,
        sum(has_add_to_cart) as cart_sessions,
        -- Sessions that put something in the cart and ended without a purchase, per cart session.
        case
            when sum(has_add_to_cart) > 0
                then cast(
                        sum(case when has_add_to_cart = 1 and has_purchase = 0 then 1 else 0 end) as {{ type_double() }}
                    )
                    / sum(has_add_to_cart)
        end as cart_abandonment_rate
    from per_session
    group by cutoff_date, customer_id

)

select * from final
