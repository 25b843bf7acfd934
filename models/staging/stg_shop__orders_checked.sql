{#- Every raw order row, typed, with the reason it is rejected (null when it is kept).
    stg_shop__orders keeps the good rows, stg_shop__orders_rejected the others: together they
    account for every input row. Orders are the one required input: absent or empty, they stop
    the build.
    Values are read typed where the input's type allows it (Parquet timestamps and numbers,
    docs/input.md "Typed reads"), and as text otherwise: the text of a typed value is written
    only for the rejected rows. The input is read once to find the rare rows that need windows
    (repeated order ids and repeated raw values), then once per branch (the other rows, and
    those), so that no step holds every row in memory. -#}
{{ config(**incremental_staging_config()) }}
{%- set orders_input = shop_input_relation('orders') -%}
{%- set max_order_amount = validated_number_var('max_order_amount', minimum=1) -%}
{#- null earliest_order_date: no lower bound. -#}
{%- set earliest_order_date = date_var_literal('earliest_order_date') or "cast('0001-01-01' as date)" -%}
{%- set input_columns = ['order_id', 'customer_id', 'ordered_at', 'amount', 'status'] -%}
{%- set raw_columns = shop_raw_column_names(input_columns).raw -%}
{%- set read_columns = shop_raw_column_names(input_columns).readings -%}
{%- set readings = (['dates', 'versions'] if is_incremental() else []) + ['order_ids', 'fingerprints', 'single', 'repeated'] -%}
{#- The version of the rules' settings (a date staged under other settings is staged again): the
    vars, and the status map seed as the run reads it. rules revision 2: ids shaped like e-mail
    addresses are refused (personal_data_in_*). -#}
{%- set rules_settings = sql_string_literal(['rules 2', max_order_amount, earliest_order_date, ''] | join('|')) -%}
{%- set rules_version = '(select staging_rules.rules_version from staging_rules)' -%}


-- sqlfluff cannot place the indentation of the CTEs a Jinja loop writes (LT02) until the loops
-- end: the layout below follows the house style by hand.
-- noqa: disable=LT02
with

status_map as (

    select * from {{ ref('order_status_map') }}

),

staging_rules as (

    select
        {{ dbt.hash(rules_settings ~ " || coalesce(" ~ dbt.listagg("status_spelling || '=' || status", "','", "order by status_spelling, status") ~ ", '')") }}
            as rules_version
    from status_map

),
{#- The input is read once for the order ids seen more than once, once for the raw fingerprints
    seen more than once, then once per branch of the same steps (the rows with neither, and the
    others); an incremental run reads it twice more first (for the dates to re-stage, and for
    the orders with a version on them). Each reading has its own steps: a step shared by two
    readers would be held in memory whole. -#}
{%- for reading in readings %}

{{ reading }}_input_rows as (

    select
        {%- for column_name in input_columns %}
        {{ column_name }}__value as raw_{{ column_name }}__value,
        {{ column_name }}__text as raw_{{ column_name }}__text{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ orders_input }}

),

{{ reading }}_dated as (

    select
        *,
        {{ shop_value_id('raw_order_id') }} as order_id,
        {{ shop_value_timestamp('raw_ordered_at') }} as ordered_at,
        {{ raw_row_fingerprint(read_columns) }} as raw_fingerprint
    from {{ reading }}_input_rows

),

{{ reading }}_filed as (

    select
        *,
        {{ incremental_staging_source_date('ordered_at') }} as source_date
    from {{ reading }}_dated

),
{%- if reading == 'versions' %}

-- Which version of an order is kept depends on all its versions: an incremental run stages the
-- other versions of an order found on a re-staged date too.
{{ incremental_staging_scope_ctes('dates_filed', rules_version, version_column='order_id', versions_cte='versions_filed') }}
{%- elif reading not in ('dates', 'versions') %}

{{ reading }}_scoped as (
    {{ incremental_staging_scoped_rows(reading ~ '_filed', version_column='order_id') }}
),
{%- endif %}
{%- if reading == 'order_ids' %}

-- Repeated order ids and identical raw rows are rare. Only the rows concerned are ranked with
-- windows; every other row is the one version of its order and the first occurrence of its
-- values. Windows over every row would partition and sort the whole table for the few repeats.
-- An order id is counted here whether or not its rows are valid (ranking a few more rows than
-- needed changes no verdict: only valid rows compete for their order id).
repeated_order_ids as (

    select order_id
    from order_ids_scoped
    where order_id is not null
    group by order_id
    having count(*) > 1

),
{%- elif reading == 'fingerprints' %}

repeated_fingerprints as (

    select raw_fingerprint
    from fingerprints_scoped
    group by raw_fingerprint
    having count(*) > 1

),
{%- endif %}
{%- endfor %}

single_source_rows as (

    select single_scoped.*
    from single_scoped
    left join repeated_order_ids
        on single_scoped.order_id = repeated_order_ids.order_id
    left join repeated_fingerprints
        on single_scoped.raw_fingerprint = repeated_fingerprints.raw_fingerprint
    where repeated_order_ids.order_id is null and repeated_fingerprints.raw_fingerprint is null

),

repeated_source_rows as (

    select repeated_scoped.*
    from repeated_scoped
    left join repeated_order_ids
        on repeated_scoped.order_id = repeated_order_ids.order_id
    left join repeated_fingerprints
        on repeated_scoped.raw_fingerprint = repeated_fingerprints.raw_fingerprint
    where repeated_order_ids.order_id is not null or repeated_fingerprints.raw_fingerprint is not null

),
{%- for branch in ['single', 'repeated'] %}

{{ branch }}_typed as (

    select
        source_rows.*,
        {{ shop_value_id('raw_customer_id') }} as customer_id,
        {{ shop_value_number('raw_amount', type_money()) }} as amount,
        lower(trim({{ shop_value_raw_text('raw_status') }})) as status_text,
        status_map.status as mapped_status
    from {{ branch }}_source_rows as source_rows
    left join status_map
        on lower(trim({{ shop_value_raw_text('source_rows.raw_status') }})) = status_map.status_spelling

),

{{ branch }}_validated as (

    select
        *,
        -- A null or blank status means completed (input contract).
        case
            when status_text is null or status_text = '' then 'completed'
            else mapped_status
        end as status,
        case
            when order_id is null then 'missing_order_id'
            when customer_id is null then 'missing_customer_id'
            -- Ids leave staging: one shaped like an e-mail address would carry personal data.
            when {{ looks_like_email('order_id') }} then 'personal_data_in_order_id'
            when {{ looks_like_email('customer_id') }} then 'personal_data_in_customer_id'
            when {{ shop_value_is_blank('raw_ordered_at') }} then 'missing_ordered_at'
            when ordered_at is null then 'unparseable_ordered_at'
            -- Dated after the day of the build: a clock or export error, not an order yet.
            when cast(ordered_at as date) > current_date then 'future_ordered_at'
            -- Before var earliest_order_date: a placeholder such as 1900-01-01 or 1970-01-01.
            when cast(ordered_at as date) < {{ earliest_order_date }} then 'implausible_ordered_at'
            when {{ shop_value_is_blank('raw_amount') }} then 'missing_amount'
            when amount is null then 'unparseable_amount'
            -- Beyond var max_order_amount either way: a typo or a test order, not a purchase.
            when abs(amount) > {{ max_order_amount }} then 'implausible_amount'
            when status_text is not null and status_text != '' and mapped_status is null
                then 'unknown_status'
        end as validation_failure
    from {{ branch }}_typed

),
{%- endfor %}
-- noqa: enable=LT02

single_rows as (

    select
        *,
        1 as raw_occurrence,
        validation_failure as rejection_reason
    from single_validated

),

repeated_numbered as (

    select
        *,
        -- Numbered within the fingerprint: keys stay unique even if two rows' values collide.
        row_number() over (
            partition by raw_fingerprint
            order by {{ read_columns | join(', ') }}
        ) as raw_occurrence
    from repeated_validated

),

ranked as (

    select
        *,
        {{ row_fingerprint(['order_id', 'customer_id', 'ordered_at', 'amount', 'status']) }} as typed_fingerprint,
        -- Among valid rows sharing an order_id, keep the latest version; ties are broken on the
        -- values themselves, then on the raw values as read and the occurrence, so the choice
        -- never depends on file order or on the run (of two identical rows, the first
        -- occurrence is kept).
        row_number() over (
            partition by case when validation_failure is null then order_id end
            order by
                ordered_at desc, amount desc, status asc, customer_id asc,
                {{ read_columns | join(', ') }}, raw_occurrence
        ) as version_rank
    from repeated_numbered

),

repeated_rows as (

    select
        *,
        coalesce(
            validation_failure,
            case
                when version_rank > 1 and typed_fingerprint = first_value(typed_fingerprint)
                        over (
                            partition by case when validation_failure is null then order_id end
                            order by version_rank
                        )
                    then 'duplicate_row'
                when version_rank > 1 then 'conflicting_duplicate_order_id'
            end
        ) as rejection_reason
    from ranked

),

numbered as (

    -- Explicit column lists: a union by position stays portable.
    select
        raw_fingerprint,
        raw_occurrence,
        order_id,
        customer_id,
        ordered_at,
        amount,
        status,
        {%- for read_column in read_columns %}
        {{ read_column }},  -- noqa: LT02
        {%- endfor %}
        rejection_reason,
        source_date{% if is_incremental() %},
        replace_scope{% endif %}
    from single_rows
    union all
    select
        raw_fingerprint,
        raw_occurrence,
        order_id,
        customer_id,
        ordered_at,
        amount,
        status,
        {%- for read_column in read_columns %}
        {{ read_column }},  -- noqa: LT02
        {%- endfor %}
        rejection_reason,
        source_date{% if is_incremental() %},
        replace_scope{% endif %}
    from repeated_rows

),

checked as (

    select
        {{ source_row_key() }} as source_row_key,
        order_id,
        customer_id,
        ordered_at,
        amount,
        status,
        {{- raw_text_of_rejected(raw_columns, 'rejection_reason is not null') }}
        rejection_reason,
        source_date,
        raw_fingerprint,
        {{ rules_version }} as staging_rules_version{% if is_incremental() %},
        replace_scope{% endif %}
    from numbered

)

select * from checked
{% if is_incremental() -%}
union all
{{ incremental_staging_emptied_dates(['source_row_key', 'order_id', 'customer_id', 'ordered_at', 'amount', 'status', 'raw_order_id', 'raw_customer_id', 'raw_ordered_at', 'raw_amount', 'raw_status', 'rejection_reason']) }}
{%- endif %}
