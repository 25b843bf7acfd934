{#- One row per model and candidate k from long artifact rows (record type k_candidate). Shared
    by the current model's candidates and the selection mart over every model. -#}
{% macro pivot_k_candidates(artifacts_cte) -%}
    select
        model_id,
        k,
        max(case when metric = 'silhouette' then value end) as silhouette,
        max(case when metric = 'davies_bouldin' then value end) as davies_bouldin,
        max(case when metric = 'calinski_harabasz' then value end) as calinski_harabasz,
        max(case when metric = 'stability' then value end) as stability,
        max(case when metric = 'inertia' then value end) as inertia,
        max(case when metric = 'min_segment_share' then value end) as min_segment_share,
        max(case when metric = 'usefulness' then value end) as usefulness,
        coalesce(max(case when metric = 'is_eligible' then value end), 1) = 1 as is_eligible,
        max(case when metric = 'is_chosen' then value end) = 1 as is_chosen,
        max(case when metric = 'selection_reason' then text_value end) as selection_reason
    from {{ artifacts_cte }}
    where record_type = 'k_candidate'
    group by model_id, k
{%- endmacro %}
