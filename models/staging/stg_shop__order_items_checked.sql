{#- Every raw order line, typed, with the reason it is rejected (null when kept).
    Identical lines are kept: the same product scanned twice into one order is a real purchase.
    This is the largest table staging writes (tens of millions of lines), and writing text is
    what costs: the key is stored as its two numbers (the views stg_shop__order_items and
    stg_shop__order_items_rejected spell it as text), and the raw text of a line is stored only
    when the line is rejected (a kept line's values are its typed columns).
    The discount may not exceed what the line is worth before it (quantity x unit price), unless
    var unit_price_after_discount says the unit price is what was paid: every downstream share of
    spend (discount share, category shares) assumes that no line is worth less than nothing. -#}
{%- set order_items_input = shop_input_relation('order_items') -%}
{%- set max_order_amount = validated_number_var('max_order_amount', minimum=1) -%}
{#- With the unit price after the discount, the line was worth quantity x unit price + discount:
    the discount can never exceed that. -#}
{%- set discount_exceeds_line_amount = 'false' if validated_boolean_var('unit_price_after_discount')
    else 'typed.discount_amount > typed.quantity * typed.unit_price' -%}
{%- set raw_columns = ['raw_order_id', 'raw_product_id', 'raw_quantity', 'raw_unit_price', 'raw_discount_amount'] -%}

with

source_rows as (

    select
        order_id as raw_order_id,
        product_id as raw_product_id,
        quantity as raw_quantity,
        unit_price as raw_unit_price,
        discount_amount as raw_discount_amount
    from {{ order_items_input }}

),

staged_orders as (

    select order_id from {{ ref('stg_shop__orders') }}

),

typed as (

    select
        source_rows.*,
        nullif(trim(raw_order_id), '') as order_id,
        nullif(trim(raw_product_id), '') as product_id,
        {{ dbt.safe_cast('raw_quantity', dbt.type_int()) }} as quantity,
        -- A cast to integer rounds 2.5 to 3: the value must be whole as written.
        {{ dbt.safe_cast('raw_quantity', type_double()) }} as parsed_quantity,
        {{ dbt.safe_cast('raw_unit_price', type_unit_price()) }} as unit_price,
        -- A missing discount means no discount.
        coalesce({{ dbt.safe_cast('raw_discount_amount', type_unit_price()) }}, 0) as discount_amount,
        nullif(trim(raw_discount_amount), '') is not null
        and {{ dbt.safe_cast('raw_discount_amount', type_unit_price()) }} is null as has_unparseable_discount,
        {{ raw_row_fingerprint(raw_columns) }}
            as raw_fingerprint
    from source_rows

),

validated as (

    select
        typed.*,
        case
            when typed.order_id is null then 'missing_order_id'
            when typed.product_id is null then 'missing_product_id'
            when typed.quantity is null then 'missing_or_unparseable_quantity'
            when typed.parsed_quantity != typed.quantity then 'non_integer_quantity'
            when typed.quantity <= 0 then 'non_positive_quantity'
            when typed.unit_price is null then 'missing_or_unparseable_unit_price'
            when typed.unit_price < 0 then 'negative_unit_price'
            when typed.has_unparseable_discount then 'unparseable_discount_amount'
            when typed.discount_amount < 0 then 'negative_discount_amount'
            -- Compared in floating point: the exact product can overflow decimal(18, 4).
            when
                cast(typed.quantity as {{ type_double() }}) * cast(typed.unit_price as {{ type_double() }})
                > {{ max_order_amount }}
                or typed.discount_amount > {{ max_order_amount }}
                then 'implausible_line_amount'
            when {{ discount_exceeds_line_amount }} then 'discount_exceeds_line_amount'
            when staged_orders.order_id is null then 'order_not_staged'
        end as rejection_reason
    from typed
    left join staged_orders
        on typed.order_id = staged_orders.order_id

),

-- Identical raw lines are rare. Only fingerprints seen more than once are numbered with a
-- window; every other line is the first occurrence of its values. A window over every line
-- would partition and sort the whole table for the few repeats.
repeated_fingerprints as (

    select raw_fingerprint
    from validated
    group by raw_fingerprint
    having count(*) > 1

),

single_rows as (

    select
        validated.*,
        1 as raw_occurrence
    from validated
    left join repeated_fingerprints
        on validated.raw_fingerprint = repeated_fingerprints.raw_fingerprint
    where repeated_fingerprints.raw_fingerprint is null

),

repeated_rows as (

    select
        validated.*,
        -- Numbered within the fingerprint: keys stay unique even if two lines' values collide.
        row_number() over (
            partition by validated.raw_fingerprint order by {{ raw_columns | join(', ') }}
        ) as raw_occurrence
    from validated
    inner join repeated_fingerprints
        on validated.raw_fingerprint = repeated_fingerprints.raw_fingerprint

),

numbered as (

    select * from single_rows
    union all
    select * from repeated_rows

),

checked as (

    select
        raw_fingerprint,
        raw_occurrence,
        order_id,
        product_id,
        quantity,
        unit_price,
        discount_amount,
        {{- raw_text_of_rejected(raw_columns, 'rejection_reason is not null') }}
        rejection_reason
    from numbered

)

select * from checked
