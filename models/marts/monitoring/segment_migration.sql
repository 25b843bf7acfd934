{#- How customers moved between segments from each run date to the next. Customers who appear
    only at the later date are `new` (from_segment_id null), those only at the earlier date `lost`
    (to_segment_id null). -#}
with

history as (

    select * from {{ ref('customer_segment_history') }}

),

run_dates as (

    select distinct as_of_date from history

),

consecutive_dates as (

    select
        as_of_date as to_as_of_date,
        lag(as_of_date) over (order by as_of_date) as from_as_of_date
    from run_dates

),

date_pairs as (

    select * from consecutive_dates
    where from_as_of_date is not null

),

earlier_rows as (

    select
        date_pairs.from_as_of_date,
        date_pairs.to_as_of_date,
        history.customer_id,
        history.segment_id,
        history.monetary
    from date_pairs
    inner join history
        on date_pairs.from_as_of_date = history.as_of_date

),

later_rows as (

    select
        date_pairs.from_as_of_date,
        date_pairs.to_as_of_date,
        history.customer_id,
        history.segment_id,
        history.monetary
    from date_pairs
    inner join history
        on date_pairs.to_as_of_date = history.as_of_date

),

movements as (

    select
        coalesce(earlier_rows.from_as_of_date, later_rows.from_as_of_date) as from_as_of_date,
        coalesce(earlier_rows.to_as_of_date, later_rows.to_as_of_date) as to_as_of_date,
        earlier_rows.segment_id as from_segment_id,
        later_rows.segment_id as to_segment_id,
        -- Revenue of the movers: their net spend at the later date (lost customers: the earlier).
        coalesce(later_rows.monetary, earlier_rows.monetary) as monetary
    from earlier_rows
    full outer join later_rows
        on
            earlier_rows.from_as_of_date = later_rows.from_as_of_date
            and earlier_rows.customer_id = later_rows.customer_id

),

grouped as (

    select
        from_as_of_date,
        to_as_of_date,
        from_segment_id,
        to_segment_id,
        count(*) as customers,
        sum(monetary) as revenue
    from movements
    group by from_as_of_date, to_as_of_date, from_segment_id, to_segment_id

),

from_sizes as (

    select
        from_as_of_date,
        from_segment_id,
        sum(customers) as from_segment_customers
    from grouped
    where from_segment_id is not null
    group by from_as_of_date, from_segment_id

),

final as (

    select
        grouped.from_as_of_date,
        grouped.to_as_of_date,
        grouped.from_segment_id,
        grouped.to_segment_id,
        case
            when grouped.from_segment_id is null then 'new'
            when grouped.to_segment_id is null then 'lost'
            when grouped.from_segment_id = grouped.to_segment_id then 'stayed'
            else 'moved'
        end as movement,
        grouped.customers,
        case
            when from_sizes.from_segment_customers > 0
                then cast(grouped.customers as {{ type_double() }}) / from_sizes.from_segment_customers
        end as share_of_from_segment,
        grouped.revenue as mover_revenue
    from grouped
    left join from_sizes
        on
            grouped.from_as_of_date = from_sizes.from_as_of_date
            and grouped.from_segment_id = from_sizes.from_segment_id

)

select * from final
