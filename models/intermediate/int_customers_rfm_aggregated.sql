{#- Recency, frequency and monetary value per customer at each feature cutoff. One row per cutoff
    and customer with at least one order row (of any status) before the cutoff. -#}
with

orders as (

    select * from {{ ref('int_orders_classified') }}

),

cutoff_dates as (

    {{ feature_cutoff_dates() }}

),

-- One pass over the orders for every cutoff: each aggregate once per cutoff, over the orders
-- placed before it (one row per customer, one column per cutoff and measure).
per_customer_by_cutoff as (

    select
        orders.customer_id,
        {%- for cutoff in feature_cutoff_roles() %}
            {%- set before_cutoff = 'orders.ordered_date < cutoff_dates.' ~ cutoff.role ~ '_cutoff_date' %}
            count(case when {{ before_cutoff }} then 1 end) as {{ cutoff.role }}__order_rows,
            -- One row per order (int_orders_classified's grain, tested): counting rows counts
            -- orders, without the cost of a count(distinct).
            count(case when {{ before_cutoff }} and orders.is_purchase then orders.order_id end)
                as {{ cutoff.role }}__frequency,
            sum(case when {{ before_cutoff }} and orders.is_cancelled then 1 else 0 end)
                as {{ cutoff.role }}__cancelled_orders,
            sum(case when {{ before_cutoff }} and (orders.is_full_return or orders.is_refund) then 1 else 0 end)
                as {{ cutoff.role }}__return_count,
            cast(sum(case when {{ before_cutoff }} then orders.net_spend end) as {{ type_money() }})
                as {{ cutoff.role }}__monetary,
            cast(
                sum(case when {{ before_cutoff }} and orders.is_purchase then orders.amount else 0 end)
                as {{ type_money() }}
            ) as {{ cutoff.role }}__purchase_spend,
            min(case when {{ before_cutoff }} and orders.is_purchase then orders.ordered_date end)
                as {{ cutoff.role }}__first_order_date,
            max(case when {{ before_cutoff }} and orders.is_purchase then orders.ordered_date end)
                as {{ cutoff.role }}__last_order_date{% if not loop.last %},{% endif %}
        {%- endfor %}
    from orders
    cross join cutoff_dates
    group by orders.customer_id

),

-- One row per cutoff and customer with an order row before it.
per_customer as (

    {{ rows_at_feature_cutoffs(
        'per_customer_by_cutoff',
        keys=['customer_id'],
        columns=[
            'frequency', 'cancelled_orders', 'return_count', 'monetary', 'purchase_spend',
            'first_order_date', 'last_order_date',
        ],
        presence_column='order_rows',
    ) }}

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
