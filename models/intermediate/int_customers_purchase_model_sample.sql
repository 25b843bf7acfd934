{#- The customers the probabilistic purchase model is fitted on at each prediction window's cutoff
    (current, training, evaluation): all of them up to prediction.purchase_model_fit_sample_size, else a
    deterministic sample ordered by a hash of customer_id. The model has seven parameters: a
    sample of a few hundred thousand pins them down as well as every customer would, and bounds
    what the Python model reads. Every customer is scored with it all the same.
    Grain: one row per window and sampled customer. -#}
with

features as (

    select
        cutoff_role,
        customer_id,
        repeat_purchase_days,
        first_to_last_purchase_days,
        first_purchase_to_cutoff_days,
        mean_repeat_purchase_value
    from {{ ref('int_customers_prediction_features') }}

),

ranked as (

    select
        features.*,
        row_number() over (
            partition by cutoff_role
            order by md5(cast(customer_id as {{ dbt.type_string() }})), customer_id
        ) as sample_rank
    from features

),

final as (

    select * from ranked
    where sample_rank <= {{ setting('prediction', 'purchase_model_fit_sample_size') }}

)

select * from final
