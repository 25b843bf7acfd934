with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}
    where record_type = 'scaling'

),

final as (

    select
        model_id,
        feature,
        position,
        source_column,
        category_value,
        transform,
        fill_value,
        center,
        scale,
        clip_limit
    from artifacts

)

select * from final
