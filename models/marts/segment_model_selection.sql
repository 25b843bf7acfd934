{#- Every candidate k of every model with its scores, ready for elbow and silhouette plots. -#}
with

history as (

    select * from {{ ref('segment_model_history') }}

),

registry as (

    select
        model_id,
        algorithm,
        is_current
    from {{ ref('segment_models') }}

),

candidates as (

    select
        model_id,
        k,
        max(case when metric = 'silhouette' then value end) as silhouette,
        max(case when metric = 'davies_bouldin' then value end) as davies_bouldin,
        max(case when metric = 'calinski_harabasz' then value end) as calinski_harabasz,
        max(case when metric = 'stability' then value end) as stability,
        max(case when metric = 'inertia' then value end) as inertia,
        max(case when metric = 'min_segment_share' then value end) as min_segment_share,
        coalesce(max(case when metric = 'is_eligible' then value end), 1) = 1 as is_eligible,
        max(case when metric = 'is_chosen' then value end) = 1 as is_chosen
    from history
    where record_type = 'k_candidate'
    group by model_id, k

),

final as (

    select
        candidates.model_id,
        registry.algorithm,
        registry.is_current as is_current_model,
        candidates.k,
        candidates.silhouette,
        candidates.davies_bouldin,
        candidates.calinski_harabasz,
        candidates.stability,
        candidates.inertia,
        candidates.min_segment_share,
        candidates.is_eligible,
        candidates.is_chosen
    from candidates
    inner join registry
        on candidates.model_id = registry.model_id

)

select * from final
