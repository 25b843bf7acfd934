{#- The calibration curve of each method's churn probability on the time hold-out of
    prediction_evaluation: hold-out customers in ten equal groups by predicted probability, each
    with its mean prediction and the share that churned. A calibrated method lies on the diagonal.
    Empty when the hold-out could not be computed (prediction_evaluation says why). -#}
with

artifacts as (

    {{ customer_scores_artifacts() }}

),

calibration as (

    select
        model_id,
        method,
        cast(decile as {{ dbt.type_int() }}) as decile,
        cast(max(case when metric = 'customers' then value end) as {{ dbt.type_int() }}) as customers,
        max(case when metric = 'mean_predicted' then value end) as mean_predicted_churn,
        max(case when metric = 'observed_rate' then value end) as observed_churn_rate
    from artifacts
    where record_type = 'calibration'
    group by model_id, method, decile

),

final as (

    select
        model_id,
        method,
        decile,
        customers,
        mean_predicted_churn,
        observed_churn_rate,
        observed_churn_rate - mean_predicted_churn as calibration_gap,
        case method
            when 'supervised' then 1
            when 'bgnbd' then 2
            when 'recency' then 3
            else 4
        end as method_order
    from calibration

)

select * from final
