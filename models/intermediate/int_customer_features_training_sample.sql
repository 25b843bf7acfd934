{#- The customers the model is fitted on: all of them up to segmentation.fit_sample_size, else
    a deterministic sample (ordered by a hash of customer_id), sorted by customer_id. Sampling here,
    in SQL, bounds what the Python model pulls into memory whatever the number of customers. -#}
with

features as (

    select * from {{ ref('int_customer_features') }}

),

ranked as (

    select
        features.*,
        row_number() over (
            order by md5(cast(customer_id as {{ dbt.type_string() }})), customer_id
        ) as sample_rank
    from features

),

final as (

    select * from ranked
    where sample_rank <= {{ setting('segmentation', 'fit_sample_size') }}

)

select * from final
