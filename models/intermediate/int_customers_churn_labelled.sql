{#- Training examples for the churn and value models: the features at a window's cutoff (training
    or evaluation, see int_prediction_windows) and what the customer did in the horizon after it,
    from the orders before as_of_date:
    - is_churned: no completed purchase in [cutoff_date, outcome_end_date);
    - next_period_purchases, next_period_net_spend: purchases and net spend (refunds netted) in it.
    Features use only orders before the cutoff; outcomes only orders on or after it.
    Grain: one row per window and customer with a purchase before its cutoff. -#}
with

windows as (

    select * from {{ ref('int_prediction_windows') }}
    where outcome_end_date is not null

),

features as (

    select * from {{ ref('int_customers_prediction_features') }}

),

orders as (

    select
        orders.customer_id,
        orders.order_id,
        orders.ordered_date,
        orders.is_purchase,
        orders.net_spend
    from {{ ref('int_orders_classified') }} as orders

),

outcomes as (

    select
        windows.cutoff_role,
        orders.customer_id,
        -- One row per order (int_orders_classified's grain): rows are orders.
        count(case when orders.is_purchase then orders.order_id end) as next_period_purchases,
        sum(orders.net_spend) as next_period_net_spend
    from orders
    inner join windows
        on
            orders.ordered_date >= windows.cutoff_date
            and orders.ordered_date < windows.outcome_end_date
    group by windows.cutoff_role, orders.customer_id

),

final as (

    select
        features.*,
        windows.outcome_end_date,
        coalesce(outcomes.next_period_purchases, 0) = 0 as is_churned,
        coalesce(outcomes.next_period_purchases, 0) as next_period_purchases,
        cast(coalesce(outcomes.next_period_net_spend, 0) as {{ type_money() }}) as next_period_net_spend
    from features
    inner join windows
        on features.cutoff_role = windows.cutoff_role
    left join outcomes
        on
            features.cutoff_role = outcomes.cutoff_role
            and features.customer_id = outcomes.customer_id

)

select * from final
