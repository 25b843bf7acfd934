{#- Staged orders placed before each feature cutoff (see int_feature_cutoffs), each classified once so every feature counts the same
    way:
    - a completed order with a non-negative amount is a purchase: it counts towards frequency and
      its amount towards spend;
    - a negative amount (any status but cancelled) is a refund: it is netted from spend and counts
      as a return, not as an order;
    - a returned or refunded order with a non-negative amount was given back in full: it adds
      nothing to spend and counts as a return;
    - a cancelled order adds nothing to spend or frequency. -#}
with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

cutoffs as (

    select cutoff_date from {{ ref('int_feature_cutoffs') }}

),

classified as (

    select
        cutoffs.cutoff_date,
        orders.order_id,
        orders.customer_id,
        orders.status,
        orders.amount,
        orders.ordered_at,
        orders.ordered_date,
        orders.status = 'completed' and orders.amount >= 0 as is_purchase,
        orders.status != 'cancelled' and orders.amount < 0 as is_refund,
        orders.status in ('returned', 'refunded') and orders.amount >= 0 as is_full_return,
        orders.status = 'cancelled' as is_cancelled
    from orders
    inner join cutoffs
        on orders.ordered_date < cutoffs.cutoff_date

),

final as (

    select
        *,
        cast(
            case when is_purchase or is_refund then amount else 0 end
            as {{ type_money() }}
        ) as net_spend
    from classified

)

select * from final
