{#- A view: the kept rows of the checked table, read by few models. Copying tens of millions of
    rows into a table of their own cost more than filtering the checked table on each read.
    gross_amount is what the line is worth before its discount and net_amount what was paid: by
    default the unit price is before the discount (net = quantity x unit price - discount); with
    var unit_price_after_discount it is what was paid (gross = quantity x unit price + discount).
    Staging guarantees 0 <= discount_amount <= gross_amount either way, so net_amount >= 0. -#}
{{ config(materialized='view') }}
{%- if validated_boolean_var('unit_price_after_discount') -%}
    {%- set gross_amount = 'quantity * unit_price + discount_amount' -%}
    {%- set net_amount = 'quantity * unit_price' -%}
{%- else -%}
    {%- set gross_amount = 'quantity * unit_price' -%}
    {%- set net_amount = 'quantity * unit_price - discount_amount' -%}
{%- endif -%}

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
        cast({{ gross_amount }} as {{ type_money() }}) as gross_amount,
        cast({{ net_amount }} as {{ type_money() }}) as net_amount
    from checked
    where rejection_reason is null

)

select * from kept
