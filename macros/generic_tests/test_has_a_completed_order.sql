{#- The input must hold at least one completed order with a non-negative amount (before var
    as_of_date when it is set), or there is nothing to segment. Applied to stg_shop__orders: in
    `dbt build` its failure skips everything downstream, so an orders file of cancelled orders
    (or one whose every order was rejected) stops the build before the features, the model and
    the marts are rebuilt, and the previous marts stay. Without this check the fit fails on an
    empty feature table, or, when a stored model is reused, the marts are replaced by empty ones.

    The failure is raised as an error carrying the message where the engine can raise one in SQL
    (DuckDB error(), Spark raise_error()), so dbt prints the message; elsewhere the test fails
    with one row holding it. The message ends with the number of staged orders and one of them
    (id, status, amount, date), or says that every row was rejected. -#}
{% test has_a_completed_order(model) %}
{%- set as_of_date = as_of_date_literal() -%}
{%- set message = "no customer has a completed order" ~ (" before as_of_date " ~ (var('as_of_date') | string) if as_of_date else "")
    ~ " in the input orders: nothing to segment. Check the order statuses (seed order_status_map), the rejected orders"
    ~ " (staging.stg_shop__orders_rejected) and var as_of_date." -%}

with

purchases as (

    select
        count(*) as staged_orders,
        sum(
            case
                when status = 'completed' and amount >= 0
                    {%- if as_of_date %} and ordered_at < {{ as_of_date }}{% endif %} then 1
                else 0
            end
        ) as purchase_count
    from {{ model }}

),

-- One staged order, for the message: what the orders look like instead.
example_order as (

    select
        'Staged orders: ' || cast(purchases.staged_orders as {{ dbt.type_string() }})
        || coalesce(
            '; e.g. order ' || first_order.order_id || ': status ' || first_order.status
            || ', amount ' || cast(first_order.amount as {{ dbt.type_string() }})
            || ', ordered_at ' || cast(first_order.ordered_at as {{ dbt.type_string() }}),
            ' (every row of the input was rejected)'
        ) || '.' as summary
    from purchases
    left join (
        select * from {{ model }}
        order by ordered_at, order_id
        limit 1
    ) as first_order
        on 1 = 1

)

select {{ sql_string_literal(message) }} || ' ' || example_order.summary as problem
from purchases
cross join example_order
where {{ fail_when('purchase_count = 0', sql_string_literal(message) ~ " || ' ' || example_order.summary") }}

{% endtest %}
