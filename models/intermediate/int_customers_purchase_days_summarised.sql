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
        customer_id,
        ordered_date,
        amount
    from {{ ref('int_orders_classified') }}
    where is_purchase

),

cutoff_dates as (

    {{ feature_cutoff_dates() }}

),

purchase_days as (

    select
        customer_id,
        ordered_date,
        cast(sum(amount) as {{ type_money() }}) as day_spend
    from purchases
    group by customer_id, ordered_date

),

-- One pass over the purchase days for every cutoff (a day is before a cutoff whole): one row per
-- customer, one column per cutoff and measure.
per_customer_by_cutoff as (

    select
        purchase_days.customer_id,
        {%- for cutoff in feature_cutoff_roles() %}
            {%- set before_cutoff = 'purchase_days.ordered_date < cutoff_dates.' ~ cutoff.role ~ '_cutoff_date' %}
            count(case when {{ before_cutoff }} then 1 end) as {{ cutoff.role }}__purchase_days,
            cast(sum(case when {{ before_cutoff }} then purchase_days.day_spend end) as {{ type_money() }})
                as {{ cutoff.role }}__purchase_spend,
            min(case when {{ before_cutoff }} then purchase_days.ordered_date end)
                as {{ cutoff.role }}__first_purchase_date,
            max(case when {{ before_cutoff }} then purchase_days.ordered_date end)
                as {{ cutoff.role }}__last_purchase_date{% if not loop.last %},{% endif %}
        {%- endfor %}
    from purchase_days
    cross join cutoff_dates
    group by purchase_days.customer_id

),

-- One row per cutoff and customer with a purchase day before it.
per_customer as (

    {{ rows_at_feature_cutoffs(
        'per_customer_by_cutoff',
        keys=['customer_id'],
        columns=['purchase_days', 'purchase_spend', 'first_purchase_date', 'last_purchase_date'],
        presence_column='purchase_days',
    ) }}

),

-- The first purchase day is the customer's first at every cutoff it is before.
with_first_day_spend as (

    select
        per_customer.*,
        purchase_days.day_spend as first_day_spend
    from per_customer
    inner join purchase_days
        on
            per_customer.customer_id = purchase_days.customer_id
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
