{#- The summary the probabilistic purchase model (BG/NBD family, Gamma-Gamma) is fitted on, per
    customer at each feature cutoff, counted in purchase days as lifetimes and pymc-marketing do:
    several purchases on one day are one purchase event (a basket split in two orders is not a
    return visit).
    - repeat_purchase_days (x, "frequency"): days with a purchase after the first such day;
    - first_to_last_purchase_days (t_x, "recency"): first to last purchase day;
    - first_purchase_to_cutoff_days (T): first purchase day to the cutoff;
    - mean_repeat_purchase_value ("monetary"): mean spend of the repeat purchase days (the first
      day is left out: it is the acquisition, not the habit); null without a repeat purchase.
    Only purchases count (completed, amount >= 0); refunds, returns and cancellations do not.
    Grain: one row per cutoff and customer with a purchase before it. -#}
with

purchases as (

    select
        cutoff_date,
        customer_id,
        ordered_date,
        amount
    from {{ ref('int_orders_classified') }}
    where is_purchase

),

purchase_days as (

    select
        cutoff_date,
        customer_id,
        ordered_date,
        cast(sum(amount) as {{ type_money() }}) as day_spend
    from purchases
    group by cutoff_date, customer_id, ordered_date

),

per_customer as (

    select
        cutoff_date,
        customer_id,
        count(*) as purchase_days,
        cast(sum(day_spend) as {{ type_money() }}) as purchase_spend,
        min(ordered_date) as first_purchase_date,
        max(ordered_date) as last_purchase_date
    from purchase_days
    group by cutoff_date, customer_id

),

with_first_day_spend as (

    select
        per_customer.*,
        purchase_days.day_spend as first_day_spend
    from per_customer
    inner join purchase_days
        on
            per_customer.cutoff_date = purchase_days.cutoff_date
            and per_customer.customer_id = purchase_days.customer_id
            and per_customer.first_purchase_date = purchase_days.ordered_date

),

final as (

    select
        cutoff_date,
        customer_id,
        purchase_days - 1 as repeat_purchase_days,
        {{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }} as first_to_last_purchase_days,
        {{ dbt.datediff('first_purchase_date', 'cutoff_date', 'day') }} as first_purchase_to_cutoff_days,
        case
            when purchase_days > 1
                then {{ money_divide('(purchase_spend - first_day_spend)', '(purchase_days - 1)') }}
        end as mean_repeat_purchase_value,
        first_purchase_date,
        last_purchase_date
    from with_first_day_spend

)

select * from final
