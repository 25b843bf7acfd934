{#- Every candidate feature of the current model: kept or dropped, why, and its weight (its share
    of the between-segment variance in model space). -#}
with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}
    where record_type = 'feature_selection'

),

final as (

    select
        model_id,
        feature,
        metric as selection_status,
        text_value as reason,
        position as model_position,
        value as weight
    from artifacts

)

select * from final
