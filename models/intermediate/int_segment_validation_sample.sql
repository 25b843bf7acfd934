{#- What the segmentation is judged on (customer_segmentation.segmentation.validation): per labelled window
    (training: features at as_of_date - prediction.horizon_days, outcomes up to as_of_date, the
    hold-out; evaluation: one horizon earlier, which weights the features of the hold-out refit),
    the full feature table at the window's cutoff, what the customer did in the horizon after it
    (is_churned, next_period_net_spend) and the customer's RFM grid label and recency quartile at
    the cutoff. All customers up to segmentation.fit_sample_size per window, else a
    deterministic sample ordered by a hash of customer_id, as the training sample is drawn.
    Grain: one row per window and sampled customer. -#}
with

features as (

    select * from {{ ref('int_customer_features_by_cutoff') }}

),

labelled as (

    select
        cutoff_role,
        cutoff_date,
        customer_id,
        outcome_end_date,
        is_churned,
        next_period_net_spend
    from {{ ref('int_customers_churn_labelled') }}

),

baselines as (

    select
        cutoff_date,
        customer_id,
        rfm_segment_id,
        recency_quartile
    from {{ ref('int_customers_rfm_scored') }}

),

joined as (

    select
        labelled.cutoff_role,
        labelled.outcome_end_date,
        labelled.is_churned,
        labelled.next_period_net_spend,
        baselines.rfm_segment_id,
        baselines.recency_quartile,
        features.*
    from labelled
    inner join features
        on
            labelled.cutoff_date = features.cutoff_date
            and labelled.customer_id = features.customer_id
    inner join baselines
        on
            labelled.cutoff_date = baselines.cutoff_date
            and labelled.customer_id = baselines.customer_id

),

ranked as (

    select
        joined.*,
        row_number() over (
            partition by cutoff_role
            order by md5(cast(customer_id as {{ dbt.type_string() }})), customer_id
        ) as sample_rank
    from joined

),

final as (

    select * from ranked
    where sample_rank <= {{ setting('segmentation', 'fit_sample_size') }}

)

select * from final
