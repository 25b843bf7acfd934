{#- Every candidate k of every model with its scores, ready for elbow and silhouette plots, and
    why the chosen k won: its hold-out validity (churn and spend eta², usefulness), stability
    and separation (clustering.rank_candidates), in selection_reason. -#}
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

validity as (

    select
        model_id,
        k,
        max(case when metric = 'churn_eta_squared' then value end) as churn_eta_squared,
        max(case when metric = 'spend_eta_squared' then value end) as spend_eta_squared
    from history
    where record_type = 'validation' and text_value = 'segments'
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
        validity.churn_eta_squared,
        validity.spend_eta_squared,
        candidates.usefulness,
        candidates.is_eligible,
        candidates.is_chosen,
        candidates.selection_reason
    from candidates
    inner join registry
        on candidates.model_id = registry.model_id
    left join validity
        on
            candidates.model_id = validity.model_id
            and candidates.k = validity.k

)

select * from final
