with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}
    where record_type = 'drift_reference'

),

final as (

    select
        model_id,
        feature,
        position as bin,
        max(case when metric = 'upper_edge' then value end) as upper_edge,
        cast(max(case when metric = 'reference_customers' then value end) as {{ dbt.type_bigint() }}) as reference_customers
    from artifacts
    group by model_id, feature, position

)

select * from final
