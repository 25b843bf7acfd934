{#- The lifecycle stage of every customer with a completed purchase before as_of_date, from the
    dates of their purchases (vars in days before as_of_date, checked: new <= active < lapsed):
    - new: first purchase within lifecycle_new_customer_days;
    - reactivated: a purchase within lifecycle_active_days that followed a gap of more than
      lifecycle_lapsed_days without purchases;
    - active: last purchase within lifecycle_active_days;
    - at_risk: last purchase within lifecycle_lapsed_days;
    - lapsed: last purchase longer ago.
    The first rule that holds wins. stage_since is the first as_of_date from which the stage has
    held without a break: the first purchase (new), the reactivating purchase (reactivated), the
    day after the new or reactivated period ended or the purchase that ended a gap (active), the
    day after the last purchase left the active (at_risk) or at-risk window (lapsed).
    "Within N days": as_of_date - purchase date <= N, as recency_days counts. -#}
{%- set new_days = validated_number_var('lifecycle_new_customer_days', minimum=1, whole=true) | int -%}
{%- set active_days = validated_number_var('lifecycle_active_days', minimum=1, whole=true) | int -%}
{%- set lapsed_days = validated_number_var('lifecycle_lapsed_days', minimum=1, whole=true) | int -%}
{%- if new_days > active_days or active_days >= lapsed_days -%}
    {{ exceptions.raise_compiler_error("lifecycle vars must satisfy lifecycle_new_customer_days <= lifecycle_active_days < lifecycle_lapsed_days, got " ~ new_days ~ ", " ~ active_days ~ ", " ~ lapsed_days) }}
{%- endif -%}

with

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

purchases as (

    select distinct
        orders.customer_id,
        orders.ordered_date as purchase_date
    from {{ ref('int_orders_classified') }} as orders
    where orders.is_purchase

),

purchase_gaps as (

    select
        customer_id,
        purchase_date,
        {{ dbt.datediff(
            'lag(purchase_date) over (partition by customer_id order by purchase_date)',
            'purchase_date',
            'day') }} as gap_days
    from purchases

),

-- A streak is a run of purchases with no gap longer than the active window: a customer inside
-- one never left the active stage. Its first purchase is the first ever or ends a longer gap.
streak_starts as (

    select
        customer_id,
        purchase_date as streak_start_date,
        gap_days as streak_gap_days,
        row_number() over (partition by customer_id order by purchase_date desc) as recency_rank
    from purchase_gaps
    where gap_days is null or gap_days > {{ active_days }}

),

per_customer as (

    select
        customer_id,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) as purchase_days
    from purchases
    group by customer_id

),

customer_facts as (

    select
        per_customer.customer_id,
        run_date.as_of_date,
        per_customer.first_purchase_date,
        per_customer.last_purchase_date,
        per_customer.purchase_days,
        streak_starts.streak_start_date,
        streak_starts.streak_gap_days,
        {{ dbt.datediff('per_customer.first_purchase_date', 'run_date.as_of_date', 'day') }} as days_since_first_purchase,
        {{ dbt.datediff('per_customer.last_purchase_date', 'run_date.as_of_date', 'day') }} as days_since_last_purchase,
        {{ dbt.datediff('streak_starts.streak_start_date', 'run_date.as_of_date', 'day') }} as days_since_streak_start
    from per_customer
    cross join run_date
    inner join streak_starts
        on
            per_customer.customer_id = streak_starts.customer_id
            and streak_starts.recency_rank = 1

),

staged as (

    select
        *,
        case
            when days_since_first_purchase <= {{ new_days }} then 'new'
            when
                streak_gap_days > {{ lapsed_days }}
                and days_since_streak_start <= {{ active_days }}
                then 'reactivated'
            when days_since_last_purchase <= {{ active_days }} then 'active'
            when days_since_last_purchase <= {{ lapsed_days }} then 'at_risk'
            else 'lapsed'
        end as lifecycle_stage
    from customer_facts

),

final as (

    select
        customer_id,
        as_of_date,
        lifecycle_stage,
        case
            when lifecycle_stage = 'new' then first_purchase_date
            when lifecycle_stage = 'reactivated' then streak_start_date
            when lifecycle_stage = 'active' and streak_gap_days is null
                then cast({{ dbt.dateadd('day', new_days + 1, 'first_purchase_date') }} as date)
            when lifecycle_stage = 'active' and streak_gap_days > {{ lapsed_days }}
                then cast({{ dbt.dateadd('day', active_days + 1, 'streak_start_date') }} as date)
            when lifecycle_stage = 'active' then streak_start_date
            when lifecycle_stage = 'at_risk'
                then cast({{ dbt.dateadd('day', active_days + 1, 'last_purchase_date') }} as date)
            else cast({{ dbt.dateadd('day', lapsed_days + 1, 'last_purchase_date') }} as date)
        end as stage_since,
        first_purchase_date,
        last_purchase_date,
        -- One type on every engine (Spark's datediff is an int), as the contract declares.
        cast(days_since_last_purchase as {{ dbt.type_bigint() }}) as days_since_last_purchase,
        purchase_days
    from staged

)

select * from final
