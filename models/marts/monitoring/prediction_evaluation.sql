{#- How well churn risk and expected value are predicted one horizon ahead, on a time hold-out:
    the models (and the baselines) are fitted on the evaluation window (features at as_of_date -
    2 x horizon, outcomes up to as_of_date - horizon) and scored on the training window (features
    at as_of_date - horizon) against what customers did up to as_of_date. Methods: supervised (the
    gradient boosting models of customer_scores), bgnbd (the probabilistic purchase model fitted
    at the hold-out's cutoff, without its outcomes), recency (recency alone; value = spend in the
    previous horizon) and rfm (quintile RFM score). customer_scores_fit writes a row for every
    method and metric; when the hold-out cannot be computed its value is null and
    evaluation_status says why. -#}
with

artifacts as (

    {{ customer_scores_artifacts() }}

),

windows as (

    select * from {{ ref('int_prediction_windows') }}

),

evaluation_status as (

    select
        max(model_id) as model_id,
        max(case when metric = 'evaluation' then text_value end) as evaluation_status,
        max(case when metric = 'evaluation_message' then text_value end) as status_reason
    from artifacts
    where record_type = 'status'

),

evaluation_data as (

    select
        cast(max(case when metric = 'fit_customers' then value end) as {{ dbt.type_int() }}) as fit_customers,
        cast(max(case when metric = 'test_customers' then value end) as {{ dbt.type_int() }}) as test_customers,
        max(case when metric = 'test_churn_rate' then value end) as test_churn_rate
    from artifacts
    where record_type = 'evaluation_data'

),

evaluation_windows as (

    select
        max(case when cutoff_role = 'evaluation' then cutoff_date end) as fit_cutoff_date,
        max(case when cutoff_role = 'training' then cutoff_date end) as test_cutoff_date,
        max(case when cutoff_role = 'training' then outcome_end_date end) as outcome_end_date
    from windows

),

results as (

    select
        method,
        metric,
        value
    from artifacts
    where record_type = 'evaluation'

),

final as (

    select
        evaluation_status.model_id,
        results.method,
        results.metric,
        case when results.metric in ('auc', 'brier') then 'churn' else 'value' end as predicted_outcome,
        results.value,
        case when results.metric in ('auc', 'spearman') then 'higher' else 'lower' end as better_when,
        evaluation_status.evaluation_status,
        evaluation_status.status_reason,
        evaluation_windows.fit_cutoff_date,
        evaluation_windows.test_cutoff_date,
        evaluation_windows.outcome_end_date,
        evaluation_data.fit_customers,
        evaluation_data.test_customers,
        evaluation_data.test_churn_rate,
        case results.method
            when 'supervised' then 1
            when 'bgnbd' then 2
            when 'recency' then 3
            else 4
        end as method_order
    from results
    cross join evaluation_status
    cross join evaluation_data
    cross join evaluation_windows

)

select * from final
