{#- Every raw order line, typed, with the reason it is rejected (null when kept).
    Identical lines are kept: the same product scanned twice into one order is a real purchase.
    This is the largest table staging writes (tens of millions of lines), and writing text is
    what costs: the key is stored as its two numbers (the views stg_shop__order_items and
    stg_shop__order_items_rejected spell it as text), and the raw text of a line is stored only
    when the line is rejected (a kept line's values are its typed columns).
    Values are read typed where the input's type allows it (Parquet numbers, docs/input.md
    "Typed reads"), and as text otherwise: the text of a typed value is written only for the
    rejected lines. The rare repeated lines are found on a read of the input of its own (the
    fingerprints only), so that no step holds every line in memory.
    The discount may not exceed what the line is worth before it (quantity x unit price), unless
    var unit_price_after_discount says the unit price is what was paid: every downstream share of
    spend (discount share, category shares) assumes that no line is worth less than nothing.
    Memory: at 10M orders (25M lines) the three readings and the grouping of the fingerprints
    hold about 1.7 GB; under a lower DuckDB memory limit they spill past 1500MB
    (docs/decisions.md, "Per-model memory limits"). -#}
{{ config(
    pre_hook="{{ lowered_memory_limit('1500MB') }}",
    post_hook="{{ restored_memory_limit() }}",
) }}
{%- set order_items_input = shop_input_relation('order_items') -%}
{%- set max_order_amount = validated_number_var('max_order_amount', minimum=1) -%}
{#- With the unit price after the discount, the line was worth quantity x unit price + discount:
    the discount can never exceed that. -#}
{%- set discount_exceeds_line_amount = 'false' if validated_boolean_var('unit_price_after_discount')
    else 'typed.discount_amount > typed.quantity * typed.unit_price' -%}
{%- set input_columns = ['order_id', 'product_id', 'quantity', 'unit_price', 'discount_amount'] -%}
{%- set raw_columns = shop_raw_column_names(input_columns).raw -%}
{%- set read_columns = shop_raw_column_names(input_columns).readings -%}

-- sqlfluff cannot place the indentation of the CTEs a Jinja loop writes (LT02) until the loops
-- end: the layout below follows the house style by hand.
-- noqa: disable=LT02
with
{#- The input is read three times: for the fingerprints seen more than once, then once per
    branch of the same steps (the lines whose fingerprint is seen once, and the repeated ones).
    A step shared by two readers would be held in memory whole. -#}
{%- for reading in ['every', 'single', 'repeated'] %}

{{ reading }}_input_rows as (

    select
        {%- for column_name in input_columns %}
        {{ column_name }}__value as raw_{{ column_name }}__value,
        {{ column_name }}__text as raw_{{ column_name }}__text{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ order_items_input }}

),

{{ reading }}_fingerprinted as (

    select
        *,
        {{ raw_row_fingerprint(read_columns) }} as raw_fingerprint
    from {{ reading }}_input_rows

),
{%- if reading == 'every' %}

-- Identical raw lines are rare. Only fingerprints seen more than once are numbered with a
-- window; every other line is the first occurrence of its values. A window over every line
-- would partition and sort the whole table for the few repeats.
repeated_fingerprints as (

    select raw_fingerprint
    from every_fingerprinted
    group by raw_fingerprint
    having count(*) > 1

),
{%- endif %}
{%- endfor %}

single_source_rows as (

    select single_fingerprinted.*
    from single_fingerprinted
    left join repeated_fingerprints
        on single_fingerprinted.raw_fingerprint = repeated_fingerprints.raw_fingerprint
    where repeated_fingerprints.raw_fingerprint is null

),

repeated_source_rows as (

    select repeated_fingerprinted.*
    from repeated_fingerprinted
    inner join repeated_fingerprints
        on repeated_fingerprinted.raw_fingerprint = repeated_fingerprints.raw_fingerprint

),
{%- for branch in ['single', 'repeated'] %}

{{ branch }}_typed as (

    select
        {{ branch }}_source_rows.*,
        {{ shop_value_id('raw_order_id') }} as order_id,
        {{ shop_value_id('raw_product_id') }} as product_id,
        {{ shop_value_number('raw_quantity', dbt.type_int()) }} as quantity,
        -- A cast to integer rounds 2.5 to 3: the value must be whole as written.
        {{ shop_value_number('raw_quantity', type_double()) }} as parsed_quantity,
        {{ shop_value_number('raw_unit_price', type_unit_price()) }} as unit_price,
        -- A missing discount means no discount.
        coalesce({{ shop_value_number('raw_discount_amount', type_unit_price()) }}, 0) as discount_amount,
        not {{ shop_value_is_blank('raw_discount_amount') }}
        and {{ shop_value_number('raw_discount_amount', type_unit_price()) }} is null as has_unparseable_discount
    from {{ branch }}_source_rows

),

{{ branch }}_validated as (

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
    from {{ branch }}_typed as typed
    left join {{ ref('stg_shop__orders') }} as staged_orders
        on typed.order_id = staged_orders.order_id

),
{%- endfor %}
-- noqa: enable=LT02

numbered as (

    select
        *,
        1 as raw_occurrence
    from single_validated
    union all
    select
        *,
        -- Numbered within the fingerprint: keys stay unique even if two lines' values collide.
        row_number() over (
            partition by raw_fingerprint order by {{ read_columns | join(', ') }}
        ) as raw_occurrence
    from repeated_validated

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
