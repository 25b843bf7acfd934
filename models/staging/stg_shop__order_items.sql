{#- A view: the kept rows of the checked table, read by few models. Copying tens of millions of
    rows into a table of their own cost more than filtering the checked table on each read. -#}
{{ config(materialized='view') }}

with

checked as (

    select * from {{ ref('stg_shop__order_items_checked') }}

),

kept as (

    select
        {{ source_row_key() }} as order_item_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        cast(quantity * unit_price as {{ type_money() }}) as gross_amount,
        cast(quantity * unit_price - discount_amount as {{ type_money() }}) as net_amount
    from checked
    where rejection_reason is null

)

select * from kept
