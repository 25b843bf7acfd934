with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}

),

final as (

    {{ pivot_model_metrics('artifacts') }}

)

select * from final
