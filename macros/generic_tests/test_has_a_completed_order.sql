{#- The input must hold at least one completed order with a non-negative amount (before var
    as_of_date when it is set), or there is nothing to segment. Applied to stg_shop__orders: in
    `dbt build` its failure skips everything downstream, so an orders file of cancelled orders
    (or one whose every order was rejected) stops the build before the features, the model and
    the marts are rebuilt, and the previous marts stay. Without this check the fit fails on an
    empty feature table, or, when a stored model is reused, the marts are replaced by empty ones.

    The failure is raised as an error carrying the message where the engine can raise one in SQL
    (DuckDB error(), Spark raise_error()), so dbt prints the message; elsewhere the test fails
    with one row holding it. -#}
{% test has_a_completed_order(model) %}
{%- set as_of_date = as_of_date_literal() -%}
{%- set message = "no customer has a completed order" ~ (" before as_of_date " ~ (var('as_of_date') | string) if as_of_date else "")
    ~ " in the input orders: nothing to segment. Check the order statuses (seed order_status_map), the rejected orders"
    ~ " (staging.stg_shop__orders_rejected) and var as_of_date." -%}

with

purchases as (

    select count(*) as purchase_count
    from {{ model }}
    where status = 'completed'
        and amount >= 0
        {%- if as_of_date %}
        and ordered_at < {{ as_of_date }}
        {%- endif %}

)

select {{ sql_string_literal(message) }} as problem
from purchases
where {{ fail_when('purchase_count = 0', message) }}

{% endtest %}


{#- A filter that is true when `condition` holds, and where the engine can raise an error in SQL
    (DuckDB error(), Spark raise_error()) stops the query with `message` instead. It sits in the
    filter, not the select list: dbt counts a test's rows, and an unused column is never
    evaluated. -#}
{% macro fail_when(condition, message) %}
    {{ return(adapter.dispatch('fail_when', 'customer_segmentation')(condition, message)) }}
{% endmacro %}

{% macro default__fail_when(condition, message) -%}
    {{ condition }}
{%- endmacro %}

{% macro duckdb__fail_when(condition, message) -%}
    case when {{ condition }} then error({{ sql_string_literal(message) }}) is null else false end
{%- endmacro %}

{% macro spark__fail_when(condition, message) -%}
    case when {{ condition }} then raise_error({{ sql_string_literal(message) }}) is null else false end
{%- endmacro %}
