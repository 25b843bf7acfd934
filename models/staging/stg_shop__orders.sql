{#- A view: the kept rows of the checked table, read by few models. Copying tens of millions of
    rows into a table of their own cost more than filtering the checked table on each read. -#}
{{ config(materialized='view') }}

with

checked as (

    select * from {{ ref('stg_shop__orders_checked') }}

),

kept as (

    select
        order_id,
        customer_id,
        status,
        amount,
        ordered_at,
        cast(ordered_at as date) as ordered_date
    from checked
    where rejection_reason is null

)

select * from kept
