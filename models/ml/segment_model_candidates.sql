with

artifacts as (

    select * from {{ ref('segment_model_fit') }}
    where record_type = 'k_candidate'

),

final as (

    select
        model_id,
        k,
        max(case when metric = 'silhouette' then value end) as silhouette,
        max(case when metric = 'inertia' then value end) as inertia,
        max(case when metric = 'is_chosen' then value end) = 1 as is_chosen
    from artifacts
    group by model_id, k

)

select * from final
