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

    {{ pivot_k_candidates('history') }}

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
