{#- Staged orders placed before as_of_date, each classified once so every feature counts the same
    way:
    - a completed order with a non-negative amount is a purchase: it counts towards frequency and
      its amount towards spend;
    - a negative amount (any status but cancelled) is a refund: it is netted from spend and counts
      as a return, not as an order;
    - a returned or refunded order with a non-negative amount was given back in full: it adds
      nothing to spend and counts as a return;
    - a cancelled order adds nothing to spend or frequency.
    The orders before an earlier feature cutoff are a subset: the per-cutoff feature models read
    each order once and aggregate every cutoff in that pass (docs/how-it-works.md, "Features at
    past cutoffs").
    Grain: one row per order placed before as_of_date. -#}
with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

classified as (

    select
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
    inner join run_date
        on orders.ordered_date < run_date.as_of_date

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
