{#- Every candidate feature of the current model: kept or dropped, why, its weight (its share of
    the between-segment variance in model space) and, when features are weighted by outcomes, the
    weight it got and its correlations with next-period churn and spend. -#}
with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}
    where record_type = 'feature_selection'

),

outcome_weights as (

    select
        feature,
        max(case when metric = 'outcome_weight' then value end) as outcome_weight,
        max(case when metric = 'churn_correlation' then value end) as churn_correlation,
        max(case when metric = 'spend_correlation' then value end) as spend_correlation
    from {{ ref('segment_model_artifacts') }}
    where record_type = 'feature_weight'
    group by feature

),

final as (

    select
        artifacts.model_id,
        artifacts.feature,
        artifacts.metric as selection_status,
        artifacts.text_value as reason,
        artifacts.position as model_position,
        artifacts.value as weight,
        outcome_weights.outcome_weight,
        outcome_weights.churn_correlation,
        outcome_weights.spend_correlation
    from artifacts
    left join outcome_weights
        on artifacts.feature = outcome_weights.feature

)

select * from final
