with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}
    where record_type = 'centroid'

),

final as (

    select
        model_id,
        segment_id,
        feature,
        position,
        value as centroid_value
    from artifacts

)

select * from final
