{#- One row: the reference date of this run. Data on or after it is ignored, and recency is counted
    up to it. The var as_of_date sets it; by default it is the day after the latest staged order. -#}
{%- set as_of_date_override = as_of_date_literal() -%}

with

staged_orders as (

    select ordered_date from {{ ref('stg_shop__orders') }}

),

latest_order as (

    select max(ordered_date) as latest_order_date from staged_orders

),

final as (

    select
        {%- if as_of_date_override %}
        {{ as_of_date_override }} as as_of_date,
        {%- else %}
            cast({{ dbt.dateadd('day', 1, 'latest_order_date') }} as date) as as_of_date,
        {%- endif %}
        latest_order_date,
        {{ 'true' if as_of_date_override else 'false' }} as is_as_of_date_from_var
    from latest_order

)

select * from final
