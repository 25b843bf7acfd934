-- Every customer with a completed purchase before as_of_date appears exactly once in
-- marts.customer_segments, and nobody else does. Returns the customers that break this.
with

eligible as (

    select customer_id from {{ ref('int_customer_features') }}

),

segmented as (

    select
        customer_id,
        count(*) as segment_rows
    from {{ ref('customer_segments') }}
    group by customer_id

),

mismatches as (

    select
        coalesce(eligible.customer_id, segmented.customer_id) as customer_id,
        eligible.customer_id is not null as is_eligible,
        coalesce(segmented.segment_rows, 0) as segment_rows
    from eligible
    full outer join segmented
        on eligible.customer_id = segmented.customer_id
    where eligible.customer_id is null
        or segmented.customer_id is null
        or segmented.segment_rows != 1

)

select * from mismatches
