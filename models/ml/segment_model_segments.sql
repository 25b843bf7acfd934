with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}
    where record_type = 'segment'

),

final as (

    select
        model_id,
        segment_id,
        max(case when metric = 'segment_name' then text_value end) as segment_name,
        max(case when metric = 'description' then text_value end) as description,
        max(case when metric = 'match_status' then text_value end) as match_status,
        cast(max(case when metric = 'training_customers' then value end) as {{ dbt.type_int() }}) as training_customers,
        max(case when metric = 'radius' then value end) as radius,
        max(case when metric = 'match_distance' then value end) as match_distance,
        coalesce(max(case when metric = 'is_outlier_segment' then value end), 0) = 1 as is_outlier_segment
    from artifacts
    group by model_id, segment_id

)

select * from final
