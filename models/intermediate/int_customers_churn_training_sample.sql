{#- The examples the churn and value models are fitted and evaluated on: per window, all of them
    up to prediction.fit_sample_size, else a deterministic sample ordered by a hash of
    customer_id (as int_customer_features_training_sample does for the segmentation). Sampling
    here, in SQL, bounds what the Python model pulls into memory.
    Grain: one row per window and sampled customer. -#}
with

labelled as (

    select * from {{ ref('int_customers_churn_labelled') }}

),

ranked as (

    select
        labelled.*,
        row_number() over (
            partition by cutoff_role
            order by md5(cast(customer_id as {{ dbt.type_string() }})), customer_id
        ) as sample_rank
    from labelled

),

final as (

    select * from ranked
    where sample_rank <= {{ setting('prediction', 'fit_sample_size') }}

)

select * from final
