{#- Return and refund abuse, per customer at as_of_date (docs/risk.md). Four measures, each set
    against the shop: the share of orders returned in full, partial refunds per order, the share
    of orders bought at a heavy discount, and rapid return cycles (refunds soon after a purchase).
    A measure is a signal when the customer is at or above var risk.shop_percentile of the judged
    customers (those with at least risk.min_orders orders) and above its absolute floor: a shop
    where everybody returns a lot flags nobody for it, and a shop that rarely sees returns does
    not flag a customer for one. Band: review when at least risk.review_min_return_signals of the
    three return signals fire (heavy discounts alone are a habit, not abuse), watch when any
    signal fires, else none. Orders are counted as int_orders_classified classifies them; a full
    return carries no return date in the input contract, so rapid cycles count refund rows.
    Memory: the per-order discount sums, the order-time window and their joins held 2.5 GB at 10M
    orders; the window covers the customers with a refund only, and the model runs under a lower
    DuckDB memory limit that spills instead (docs/decisions.md, "Per-model memory limits"). -#}
{{ config(
    pre_hook="{{ lowered_memory_limit('1500MB') }}",
    post_hook="{{ restored_memory_limit() }}",
) }}
{%- set risk = settings('risk') -%}

with

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

classified_orders as (

    select * from {{ ref('int_orders_classified') }}

),

order_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

-- What the customer's orders were.
order_counts as (

    select
        customer_id,
        sum(case when is_purchase then 1 else 0 end) as purchases,
        sum(case when is_full_return then 1 else 0 end) as full_returns,
        sum(case when is_refund then 1 else 0 end) as refunds,
        cast(
            sum(case when is_refund then -amount else 0 end)
            as {{ type_money() }}
        ) as refunded_amount
    from classified_orders
    group by customer_id

),

-- Only a refund closes a rapid cycle and only a purchase opens one: the window below runs over
-- those rows of the customers with a refund (3.8M of 9.9M order rows at 10M), not every order.
refunding_customers as (

    select distinct customer_id
    from classified_orders
    where is_refund

),

-- The customer's latest purchase up to each refund. Cancelled orders count nowhere
-- (int_orders_classified) and a full return is no purchase: leaving them out changes no maximum.
sequenced_orders as (

    select
        classified_orders.customer_id,
        classified_orders.ordered_at,
        classified_orders.is_refund,
        max(case when classified_orders.is_purchase then classified_orders.ordered_at end) over (
            partition by classified_orders.customer_id
            order by classified_orders.ordered_at, classified_orders.order_id
            rows between unbounded preceding and current row
        ) as latest_purchase_at
    from classified_orders
    inner join refunding_customers
        on classified_orders.customer_id = refunding_customers.customer_id
    where classified_orders.is_purchase or classified_orders.is_refund

),

rapid_cycles as (

    select
        customer_id,
        -- A count: cast, as DuckDB sums integers into a 128-bit type that pandas reads as float.
        cast(sum(
            case
                -- First: Spark's dateadd stops on a null timestamp (assert_not_null).
                when latest_purchase_at is null then 0
                when
                    is_refund
                    and ordered_at <= {{ dbt.dateadd('day', risk.rapid_return_days, 'latest_purchase_at') }}
                    then 1
                else 0
            end
        ) as {{ dbt.type_bigint() }}) as rapid_return_cycles
    from sequenced_orders
    group by customer_id

),

order_discounts as (

    select
        classified_orders.customer_id,
        order_items.order_id,
        sum(order_items.discount_amount) as discount_amount,
        sum(order_items.gross_amount) as gross_amount
    from order_items
    inner join classified_orders
        on order_items.order_id = classified_orders.order_id
    where classified_orders.is_purchase or classified_orders.is_full_return
    group by classified_orders.customer_id, order_items.order_id

),

discounted_orders as (

    select
        customer_id,
        count(*) as orders_with_lines,
        sum(
            case
                when discount_amount >= {{ risk.high_discount_rate }} * gross_amount
                    and gross_amount > 0
                    then 1
                else 0
            end
        ) as high_discount_orders
    from order_discounts
    group by customer_id

),

-- Customers without a refund have no rapid cycle, and those without staged lines no discounted
-- order: 0, as a sum over their orders gave before these were computed apart.
per_customer as (

    select
        order_counts.customer_id,
        order_counts.purchases,
        order_counts.full_returns,
        order_counts.refunds,
        order_counts.refunded_amount,
        coalesce(rapid_cycles.rapid_return_cycles, 0) as rapid_return_cycles,
        coalesce(discounted_orders.orders_with_lines, 0) as orders_with_lines,
        coalesce(discounted_orders.high_discount_orders, 0) as high_discount_orders
    from order_counts
    left join rapid_cycles
        on order_counts.customer_id = rapid_cycles.customer_id
    left join discounted_orders
        on order_counts.customer_id = discounted_orders.customer_id

),

rated as (

    select
        customer_id,
        purchases + full_returns as orders_placed,
        purchases,
        full_returns,
        refunds,
        refunded_amount,
        rapid_return_cycles,
        orders_with_lines,
        high_discount_orders,
        -- No orders placed (only refunds or cancellations): no rate, and not judged.
        case
            when purchases + full_returns > 0
                then cast(full_returns as {{ type_double() }}) / (purchases + full_returns)
        end as return_rate,
        case
            when purchases + full_returns > 0
                then cast(refunds as {{ type_double() }}) / (purchases + full_returns)
        end as refund_rate,
        -- Orders without staged lines say nothing about discounts.
        case
            when orders_with_lines > 0
                then cast(high_discount_orders as {{ type_double() }}) / orders_with_lines
        end as high_discount_order_share,
        orders_with_lines > 0 as has_order_lines,
        purchases + full_returns >= {{ risk.min_orders }} as is_judged
    from per_customer

),

-- Where each judged customer stands in the shop: the share of judged customers below them.
ranked as (

    select
        rated.*,
        case
            when is_judged
                then percent_rank() over (partition by is_judged order by return_rate)
        end as return_rate_percentile,
        case
            when is_judged
                then percent_rank() over (partition by is_judged order by refund_rate)
        end as refund_rate_percentile,
        case
            when is_judged and high_discount_order_share is not null
                then percent_rank() over (partition by is_judged, has_order_lines order by high_discount_order_share)
        end as high_discount_order_share_percentile,
        case
            when is_judged
                then percent_rank() over (partition by is_judged order by rapid_return_cycles)
        end as rapid_return_cycles_percentile
    from rated

),

signalled as (

    select
        ranked.*,
        coalesce(
            return_rate_percentile >= {{ risk.shop_percentile }}
            and return_rate >= {{ risk.min_return_rate }},
            false
        ) as is_high_return_rate,
        coalesce(
            refund_rate_percentile >= {{ risk.shop_percentile }}
            and refund_rate >= {{ risk.min_refund_rate }},
            false
        ) as is_high_refund_rate,
        coalesce(
            rapid_return_cycles_percentile >= {{ risk.shop_percentile }}
            and rapid_return_cycles >= {{ risk.min_rapid_return_cycles }},
            false
        ) as has_rapid_return_cycles,
        coalesce(
            high_discount_order_share_percentile >= {{ risk.shop_percentile }}
            and high_discount_order_share >= {{ risk.min_high_discount_order_share }},
            false
        ) as is_high_discount_share
    from ranked

),

counted as (

    select
        signalled.*,
        (case when is_high_return_rate then 1 else 0 end)
        + (case when is_high_refund_rate then 1 else 0 end)
        + (case when has_rapid_return_cycles then 1 else 0 end) as return_signals,
        (case when is_high_return_rate then 1 else 0 end)
        + (case when is_high_refund_rate then 1 else 0 end)
        + (case when has_rapid_return_cycles then 1 else 0 end)
        + (case when is_high_discount_share then 1 else 0 end) as risk_signals
    from signalled

),

-- Each fired signal as '; <what the customer did> (higher than N% of other customers)'.
{%- set signals = [
    {'flag': 'is_high_return_rate', 'percentile': 'return_rate_percentile', 'what': [
        "'returned '", dbt.cast('full_returns', dbt.type_string()),
        "' of '", dbt.cast('orders_placed', dbt.type_string()), "' orders in full'"]},
    {'flag': 'is_high_refund_rate', 'percentile': 'refund_rate_percentile', 'what': [
        dbt.cast('refunds', dbt.type_string()),
        "' refunds on '", dbt.cast('orders_placed', dbt.type_string()), "' orders'"]},
    {'flag': 'has_rapid_return_cycles', 'percentile': 'rapid_return_cycles_percentile', 'what': [
        dbt.cast('rapid_return_cycles', dbt.type_string()),
        "' refunds within " ~ risk.rapid_return_days ~ " days of a purchase'"]},
    {'flag': 'is_high_discount_share', 'percentile': 'high_discount_order_share_percentile', 'what': [
        dbt.cast('high_discount_orders', dbt.type_string()),
        "' of '", dbt.cast('orders_with_lines', dbt.type_string()),
        "' orders at a discount of " ~ (risk.high_discount_rate * 100) | round | int ~ "% or more'"]},
] %}
{%- set phrases = [] %}
{%- for signal in signals %}
    {%- do phrases.append("case when " ~ signal.flag ~ " then " ~ dbt.concat(
        ["'; '"] + signal.what + [
            "' (higher than '",
            dbt.cast(dbt.cast('floor(' ~ signal.percentile ~ ' * 100)', 'integer'), dbt.type_string()),
            "'% of other customers)'"]) ~ " else '' end") %}
{%- endfor %}
described as (

    select
        counted.*,
        {{ dbt.concat(phrases) }} as signal_phrases
    from counted

),

final as (

    select
        described.customer_id,
        run_date.as_of_date,
        case
            when return_signals >= {{ risk.review_min_return_signals }} then 'review'
            when risk_signals > 0 then 'watch'
            else 'none'
        end as risk_band,
        case
            when not is_judged then 'too_few_orders'
            when return_signals >= {{ risk.review_min_return_signals }} then 'repeated_return_signals'
            when risk_signals > 0 then 'single_signal'
            else 'no_signal'
        end as risk_rule,
        case
            when not is_judged
                then {{ dbt.concat([
                    "'Not judged: '",
                    dbt.cast('orders_placed', dbt.type_string()),
                    "' orders placed, fewer than " ~ risk.min_orders ~ "'",
                ]) }}
            when risk_signals = 0
                then 'No signal: returns, refunds, discounts and refund timing within the usual range of the shop'
            else {{ dbt.concat([
                "case when return_signals >= " ~ risk.review_min_return_signals ~ " then 'Review before refunding: ' else 'Watch: ' end",
                dbt.right('signal_phrases', dbt.length('signal_phrases') ~ ' - 2'),
            ]) }}
        end as risk_reason,
        risk_signals,
        is_high_return_rate,
        is_high_refund_rate,
        has_rapid_return_cycles,
        is_high_discount_share,
        is_judged,
        orders_placed,
        purchases,
        full_returns,
        refunds,
        refunded_amount,
        rapid_return_cycles,
        orders_with_lines,
        high_discount_orders,
        return_rate,
        refund_rate,
        high_discount_order_share,
        return_rate_percentile,
        refund_rate_percentile,
        rapid_return_cycles_percentile,
        high_discount_order_share_percentile
    from described
    cross join run_date

)

select * from final
