{#- A view: the kept rows of the checked table, read by few models. Copying tens of millions of
    rows into a table of their own cost more than filtering the checked table on each read. -#}
{{ config(materialized='view') }}

with

checked as (

    select * from {{ ref('stg_shop__events_checked') }}

),

kept as (

    select
        source_row_key as event_id,
        customer_id,
        session_id,
        event_type,
        product_id,
        duration_seconds,
        event_at
    from checked
    where rejection_reason is null

)

select * from kept
