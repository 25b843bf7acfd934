{#- Who to contact, with what, at as_of_date: every segmented customer matched against the
    editable seed segment_playbook on segment name, lifecycle stage, churn risk band and return
    abuse risk band (a blank playbook cell matches anything; a rule with a churn band never
    matches an unscored customer). The
    rule with the lowest priority number wins (ties by campaign name), so each customer is in at
    most one campaign: contact pressure stays at one message per run. Customers no rule matches
    are not here. Grain: one row per customer in an audience. -#}
with

customer_segments as (

    select
        customer_id,
        segment_name,
        as_of_date
    from {{ ref('customer_segments') }}

),

lifecycle as (

    select
        customer_id,
        lifecycle_stage
    from {{ ref('customer_lifecycle') }}

),

scores as (

    select
        customer_id,
        churn_probability,
        churn_risk_band,
        expected_value_next_period
    from {{ ref('customer_scores') }}

),

customer_risk as (

    select
        customer_id,
        risk_band
    from {{ ref('customer_risk') }}

),

playbook as (

    select * from {{ ref('segment_playbook') }}

),

customers as (

    select
        customer_segments.customer_id,
        customer_segments.as_of_date,
        customer_segments.segment_name,
        lifecycle.lifecycle_stage,
        scores.churn_risk_band,
        scores.churn_probability,
        scores.expected_value_next_period,
        customer_risk.risk_band as customer_risk_band
    from customer_segments
    inner join lifecycle
        on customer_segments.customer_id = lifecycle.customer_id
    left join scores
        on customer_segments.customer_id = scores.customer_id
    left join customer_risk
        on customer_segments.customer_id = customer_risk.customer_id

),

matched as (

    select
        customers.*,
        playbook.campaign,
        playbook.action,
        playbook.priority,
        playbook.reason as playbook_reason,
        row_number() over (
            partition by customers.customer_id
            order by playbook.priority, playbook.campaign
        ) as match_rank
    from customers
    inner join playbook
        on
            (playbook.segment_name is null or customers.segment_name = playbook.segment_name)
            and (playbook.lifecycle_stage is null or customers.lifecycle_stage = playbook.lifecycle_stage)
            and (playbook.churn_risk_band is null or customers.churn_risk_band = playbook.churn_risk_band)
            and (
                playbook.customer_risk_band is null
                or customers.customer_risk_band = playbook.customer_risk_band
            )

),

final as (

    select
        customer_id,
        as_of_date,
        campaign,
        action,
        {{ dbt.concat([
            "playbook_reason",
            "' ('",
            "segment_name",
            "', '",
            "lifecycle_stage",
            "coalesce(" ~ dbt.concat(["', churn risk '", "churn_risk_band"]) ~ ", '')",
            "')'",
        ]) }} as reason,
        priority,
        segment_name,
        lifecycle_stage,
        churn_risk_band,
        churn_probability,
        expected_value_next_period,
        customer_risk_band
    from matched
    where match_rank = 1

)

select * from final
