{#- How much return and refund abuse each segment carries: the customers of every segment of the
    current model in each risk band of marts.customer_risk (a band nobody is in shows 0), so BI
    can tell a segment with a review problem from one with a few odd customers. -#}
with

customer_segments as (

    select
        customer_id,
        segment_id,
        segment_name
    from {{ ref('customer_segments') }}

),

customer_risk as (

    select
        customer_id,
        risk_band,
        return_rate,
        refund_rate
    from {{ ref('customer_risk') }}

),

segments as (

    select
        segment_id,
        segment_name,
        count(*) as segment_customers
    from customer_segments
    group by segment_id, segment_name

),

risk_bands as (

    select
        'none' as risk_band,
        1 as band_order
    union all
    select
        'watch' as risk_band,
        2 as band_order
    union all
    select
        'review' as risk_band,
        3 as band_order

),

per_band as (

    select
        customer_segments.segment_id,
        customer_risk.risk_band,
        count(*) as customers,
        avg(customer_risk.return_rate) as avg_return_rate,
        avg(customer_risk.refund_rate) as avg_refund_rate
    from customer_segments
    inner join customer_risk
        on customer_segments.customer_id = customer_risk.customer_id
    group by customer_segments.segment_id, customer_risk.risk_band

),

final as (

    select
        segments.segment_id,
        segments.segment_name,
        risk_bands.risk_band,
        risk_bands.band_order,
        coalesce(per_band.customers, 0) as customers,
        cast(coalesce(per_band.customers, 0) as {{ type_double() }}) / segments.segment_customers
            as share_of_segment,
        per_band.avg_return_rate,
        per_band.avg_refund_rate
    from segments
    cross join risk_bands
    left join per_band
        on
            segments.segment_id = per_band.segment_id
            and risk_bands.risk_band = per_band.risk_band

)

select * from final
