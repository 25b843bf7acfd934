{#- Every model this warehouse has fitted, kept across runs: each artifact row of a model is
    appended once, with the time it was first recorded. Re-running with a kept model adds
    nothing (its decision rows of later runs have the keys of its first run's: the registry keeps
    the decision that fitted it, ml.segment_model_decisions every run's); a model stored by an
    earlier version gains the record types it lacked. -#}
{{ config(
    materialized='incremental',
    unique_key=['model_id', 'artifact_key'],
    incremental_strategy='append',
    full_refresh=start_over_full_refresh(),
    on_schema_change='append_new_columns') }}

with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}

),

keyed as (

    select
        artifacts.*,
        {#- A validation row is told apart by its method (text_value): segments and recency
            quartiles both have k = 4. #}
        {{ row_fingerprint([
            'record_type', 'segment_id', 'feature', 'position', 'k', 'metric',
            "case when record_type = 'validation' then text_value end"]) }} as artifact_key,
        current_timestamp as recorded_at
    from artifacts

)

select * from keyed
{% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as recorded
        where
            recorded.model_id = keyed.model_id
            and recorded.artifact_key = keyed.artifact_key
    )
{% endif %}
