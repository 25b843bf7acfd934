{#- Recency, frequency and monetary value per customer at each feature cutoff. One row per cutoff
    and customer with at least one order row (of any status) before the cutoff. -#}
with

orders as (

    select * from {{ ref('int_orders_classified') }}

),

per_customer as (

    select
        cutoff_date,
        customer_id,
        -- An order has one row per cutoff (int_orders_classified's grain, tested): counting rows
        -- counts orders, without the cost of a count(distinct).
        count(case when is_purchase then order_id end) as frequency,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_orders,
        sum(case when is_full_return or is_refund then 1 else 0 end) as return_count,
        cast(sum(net_spend) as {{ type_money() }}) as monetary,
        cast(sum(case when is_purchase then amount else 0 end) as {{ type_money() }}) as purchase_spend,
        min(case when is_purchase then ordered_date end) as first_order_date,
        max(case when is_purchase then ordered_date end) as last_order_date
    from orders
    group by cutoff_date, customer_id

),

final as (

    select
        per_customer.cutoff_date,
        per_customer.customer_id,
        per_customer.frequency,
        per_customer.cancelled_orders,
        per_customer.return_count,
        per_customer.monetary,
        case
            when per_customer.frequency > 0
                then {{ money_divide('per_customer.purchase_spend', 'per_customer.frequency') }}
        end as average_order_value,
        {{ dbt.datediff('per_customer.last_order_date', 'per_customer.cutoff_date', 'day') }}             as recency_days,
        {{ dbt.datediff('per_customer.first_order_date', 'per_customer.cutoff_date', 'day') }}             as tenure_days,
        case
            when per_customer.frequency > 1
                then cast(
                        {{ dbt.datediff('per_customer.first_order_date', 'per_customer.last_order_date', 'day') }}
                        as {{ type_double() }}
                    ) / (per_customer.frequency - 1)
        end as mean_days_between_orders,
        -- Returns per purchase or return: a customer who sent everything back has a rate of 1.
        case
            when per_customer.frequency + per_customer.return_count > 0
                then cast(per_customer.return_count as {{ type_double() }})
                    / (per_customer.frequency + per_customer.return_count)
        end as return_rate,
        per_customer.first_order_date,
        per_customer.last_order_date
    from per_customer

)

select * from final
