with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}

),

final as (

    {{ pivot_k_candidates('artifacts') }}

)

select * from final
