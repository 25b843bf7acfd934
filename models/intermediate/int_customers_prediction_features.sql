{#- The features the churn and value models see, at every prediction window's cutoff: the feature
    table at that cutoff plus purchases and net spend in the horizon before it (spend in the
    previous horizon is also the value baseline), and the purchase-day summary the probabilistic
    purchase model reads (int_customers_purchase_days_summarised). Only orders placed before the
    cutoff count.
    Grain: one row per window (cutoff_role) and customer with a purchase before its cutoff. -#}
with

windows as (

    select
        cutoff_role,
        cutoff_date
    from {{ ref('int_prediction_windows') }}

),

features as (

    select * from {{ ref('int_customer_features_by_cutoff') }}

),

orders as (

    select
        customer_id,
        order_id,
        ordered_date,
        is_purchase,
        net_spend
    from {{ ref('int_orders_classified') }}

),

purchase_summaries as (

    select * from {{ ref('int_customers_purchase_days_summarised') }}

),

-- The horizons before the windows' cutoffs do not overlap: each order is read at most once.
recent_orders as (

    select
        windows.cutoff_date,
        orders.customer_id,
        -- One row per order (int_orders_classified's grain): rows are orders.
        count(case when orders.is_purchase then orders.order_id end) as purchases_last_horizon,
        cast(sum(orders.net_spend) as {{ type_money() }}) as net_spend_last_horizon
    from orders
    inner join windows
        on
            orders.ordered_date < windows.cutoff_date
            and orders.ordered_date
            >= cast({{ dbt.dateadd('day', -(setting('prediction', 'horizon_days')), 'windows.cutoff_date') }} as date)
    group by windows.cutoff_date, orders.customer_id

),

final as (

    select
        windows.cutoff_role,
        features.cutoff_date,
        features.customer_id,
        features.recency_days,
        features.frequency,
        features.monetary,
        features.average_order_value,
        features.tenure_days,
        features.mean_days_between_orders,
        features.return_rate,
        features.cancelled_orders,
        coalesce(recent_orders.purchases_last_horizon, 0) as purchases_last_horizon,
        cast(coalesce(recent_orders.net_spend_last_horizon, 0) as {{ type_money() }}) as net_spend_last_horizon,
        features.sessions,
        features.browsing_minutes,
        features.product_views_per_session,
        features.cart_abandonment_rate,
        features.category_diversity,
        features.discount_share,
        features.review_count,
        features.mean_rating,
        purchase_summaries.repeat_purchase_days,
        purchase_summaries.first_to_last_purchase_days,
        purchase_summaries.first_purchase_to_cutoff_days,
        purchase_summaries.mean_repeat_purchase_value
    from features
    inner join windows
        on features.cutoff_date = windows.cutoff_date
    left join recent_orders
        on
            features.cutoff_date = recent_orders.cutoff_date
            and features.customer_id = recent_orders.customer_id
    -- Every customer of the feature table has a purchase before the cutoff, so a summary row.
    left join purchase_summaries
        on
            features.cutoff_date = purchase_summaries.cutoff_date
            and features.customer_id = purchase_summaries.customer_id

)

select * from final
