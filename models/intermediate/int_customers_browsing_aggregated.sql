{#- Browsing behaviour per customer from events before as_of_date. One row per customer with at
    least one event. -#}
with

events as (

    select * from {{ ref('stg_shop__events') }}

),

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

events_in_window as (

    select events.*
    from events
    cross join run_date
    where cast(events.event_at as date) < run_date.as_of_date

),

per_session as (

    select
        customer_id,
        session_id,
        sum(coalesce(duration_seconds, 0)) as session_seconds,
        sum(case when event_type = 'product_view' then 1 else 0 end) as product_views,
        max(case when event_type = 'add_to_cart' then 1 else 0 end) as has_add_to_cart,
        max(case when event_type = 'purchase' then 1 else 0 end) as has_purchase
    from events_in_window
    group by customer_id, session_id

),

final as (

    select
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
    group by customer_id

)

select * from final
