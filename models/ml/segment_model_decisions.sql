{#- One row per run date: which model served the run and why (customer_segmentation.segmentation.model_choice):
    the first model fitted, a stored model kept, or a refit, with the retraining policy's verdict
    on the stored model it judged. Kept across runs; rerunning a date replaces its row. -#}
{{ config(
    materialized='incremental',
    full_refresh=start_over_full_refresh(),
    on_schema_change='append_new_columns',
    **incremental_replace_config('as_of_date')) }}

with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}
    where record_type = 'decision'

),

final as (

    select
        cast(max(case when metric = 'run_as_of_date' then text_value end) as date) as as_of_date,
        model_id,
        max(case when metric = 'action' then text_value end) as decision,
        max(case when metric = 'reason' then text_value end) as decision_reason,
        max(case when metric = 'input_source' then text_value end) as input_source,
        max(case when metric = 'candidate_model_id' then text_value end) as candidate_model_id,
        cast(max(case when metric = 'candidate_training_as_of_date' then text_value end) as date)
            as candidate_training_as_of_date,
        max(case when metric = 'population_overlap' then value end) as population_overlap,
        max(case when metric = 'policy_status' then text_value end) as policy_status,
        max(case when metric = 'policy_reason' then text_value end) as policy_reason,
        cast(max(case when metric = 'model_age_days' then value end) as {{ dbt.type_int() }}) as candidate_age_days,
        max(case when metric = 'max_feature_psi' then value end) as candidate_max_feature_psi,
        max(case when metric = 'max_psi_feature' then text_value end) as candidate_max_psi_feature,
        max(case when metric = 'max_segment_share_shift' then value end) as candidate_max_segment_share_shift,
        current_timestamp as decided_at
    from artifacts
    group by model_id

)

select * from final
