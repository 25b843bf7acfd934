{#- Every model this warehouse has fitted, kept across runs: the artifacts of each new model_id
    are appended once, with the time they were first recorded. Re-running with a kept model adds
    nothing. -#}
{{ config(materialized='incremental', unique_key=['model_id', 'artifact_key'], incremental_strategy='append') }}

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
where model_id not in (select distinct model_id from {{ this }})
{% endif %}
