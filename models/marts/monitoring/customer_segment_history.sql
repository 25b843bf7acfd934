{#- Every customer's segment at every run date, kept across runs. Rerunning a date replaces that
    date's rows. -#}
{{ config(
    materialized='incremental',
    full_refresh=start_over_full_refresh(),
    **incremental_replace_config('as_of_date')) }}

with

customer_segments as (

    select * from {{ ref('customer_segments') }}

),

final as (

    select
        customer_id,
        as_of_date,
        segment_id,
        segment_name,
        model_id,
        monetary
    from customer_segments

)

select * from final
