{#- What the segmentation is judged on (customer_segmentation.segmentation.validation): per labelled window
    (training: features at as_of_date - prediction.horizon_days, outcomes up to as_of_date, the
    hold-out; evaluation: one horizon earlier, which weights the features of the hold-out refit),
    the full feature table at the window's cutoff, what the customer did in the horizon after it
    (is_churned, next_period_net_spend) and the customer's RFM grid label and recency quartile at
    the cutoff. All customers up to segmentation.fit_sample_size per window, else a
    deterministic sample ordered by a hash of customer_id, as the training sample is drawn.
    Grain: one row per window and sampled customer.
    Memory: the sample is drawn on the keys of the joined rows, and only the sampled rows are then
    joined with their features. Ranking the wide rows of every customer held them all (about 1.5
    GB at 10M orders, docs/decisions.md "Per-model memory limits"); each table is read by one CTE
    only, because DuckDB materialises a CTE that two others read (the whole feature table). -#}
with

labelled_keys as (

    select
        cutoff_role,
        cutoff_date,
        customer_id
    from {{ ref('int_customers_churn_labelled') }}

),

feature_keys as (

    select
        cutoff_date,
        customer_id
    from {{ ref('int_customer_features_by_cutoff') }}

),

baseline_keys as (

    select
        cutoff_date,
        customer_id
    from {{ ref('int_customers_rfm_scored') }}

),

-- The customers in all three tables at the window's cutoff, ranked.
ranked_keys as (

    select
        labelled_keys.cutoff_role,
        labelled_keys.cutoff_date,
        labelled_keys.customer_id,
        row_number() over (
            partition by labelled_keys.cutoff_role
            order by md5(cast(labelled_keys.customer_id as {{ dbt.type_string() }})), labelled_keys.customer_id
        ) as sample_rank
    from labelled_keys
    inner join feature_keys
        on
            labelled_keys.cutoff_date = feature_keys.cutoff_date
            and labelled_keys.customer_id = feature_keys.customer_id
    inner join baseline_keys
        on
            labelled_keys.cutoff_date = baseline_keys.cutoff_date
            and labelled_keys.customer_id = baseline_keys.customer_id

),

sampled_keys as (

    select * from ranked_keys
    where sample_rank <= {{ setting('segmentation', 'fit_sample_size') }}

),

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

final as (

    select
        labelled.cutoff_role,
        labelled.outcome_end_date,
        labelled.is_churned,
        labelled.next_period_net_spend,
        baselines.rfm_segment_id,
        baselines.recency_quartile,
        features.*,
        sampled_keys.sample_rank
    from sampled_keys
    inner join labelled
        on
            sampled_keys.cutoff_role = labelled.cutoff_role
            and sampled_keys.cutoff_date = labelled.cutoff_date
            and sampled_keys.customer_id = labelled.customer_id
    inner join features
        on
            sampled_keys.cutoff_date = features.cutoff_date
            and sampled_keys.customer_id = features.customer_id
    inner join baselines
        on
            sampled_keys.cutoff_date = baselines.cutoff_date
            and sampled_keys.customer_id = baselines.customer_id

)

select * from final
