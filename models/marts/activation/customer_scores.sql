{#- Churn risk and expected value of every eligible customer at as_of_date, from
    python_models/customer_scores_fit: by the supervised model where the history allows, else by
    the probabilistic purchase model (score_method, score_reason). P(alive) and expected purchases
    come from the purchase model for everyone. When neither model could be fitted the customer is
    still here, with null scores and score_status saying why (docs/activation.md). -#}
{%- set medium_threshold = setting('prediction', 'churn_risk_medium_threshold') -%}
{%- set high_threshold = setting('prediction', 'churn_risk_high_threshold') -%}
{%- if medium_threshold > high_threshold -%}
    {{ exceptions.raise_compiler_error("prediction.churn_risk_medium_threshold (" ~ medium_threshold ~ ") and prediction.churn_risk_high_threshold (" ~ high_threshold ~ ") must satisfy 0 <= medium <= high <= 1") }}
{%- endif -%}

with

eligible_customers as (

    select
        customer_id,
        as_of_date
    from {{ ref('int_customer_features') }}

),

artifacts as (

    {{ customer_scores_artifacts() }}

),

scores as (

    select
        customer_id,
        method,
        churn_probability,
        expected_value,
        probability_alive,
        expected_purchases
    from artifacts
    where record_type = 'score'

),

model_status as (

    select
        max(model_id) as model_id,
        max(case when metric = 'scoring' then text_value end) as score_status,
        max(case when metric = 'scoring_message' then text_value end) as scoring_message
    from artifacts
    where record_type = 'status'

),

final as (

    select
        eligible_customers.customer_id,
        eligible_customers.as_of_date,
        scores.churn_probability,
        case
            when scores.churn_probability >= {{ high_threshold }} then 'high'
            when scores.churn_probability >= {{ medium_threshold }} then 'medium'
            when scores.churn_probability is not null then 'low'
        end as churn_risk_band,
        cast(scores.expected_value as {{ type_money() }}) as expected_value_next_period,
        scores.probability_alive,
        scores.expected_purchases as expected_purchases_next_period,
        {{ setting('prediction', 'horizon_days') }} as prediction_horizon_days,
        scores.method as score_method,
        model_status.model_id,
        case
            when scores.customer_id is not null then 'scored'
            when model_status.score_status = 'scored' then 'not_scored'
            else model_status.score_status
        end as score_status,
        case
            when scores.customer_id is not null or model_status.score_status != 'scored'
                then model_status.scoring_message
            else 'not scored: the customer was not among the current customers the models scored'
        end as score_reason
    from eligible_customers
    cross join model_status
    left join scores
        on eligible_customers.customer_id = scores.customer_id

)

select * from final
