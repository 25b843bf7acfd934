{#- Row reconciliation for a staging model: every row of the raw input (as the ingest step
    reads it, macro shop_input_relation) is either staged (in the model) or rejected (in
    rejected_model), never lost and never duplicated. Fails with one row giving the three
    counts. -#}
{% test reconciles_with_shop_input(model, table_name, rejected_model) %}
{%- set raw_input = shop_input_relation(table_name) -%}

with

input_rows as (

    select count(*) as row_count from {{ raw_input }}

),

staged_rows as (

    select count(*) as row_count from {{ model }}

),

rejected_rows as (

    select count(*) as row_count from {{ rejected_model }}

)

select
    input_rows.row_count as input_row_count,
    staged_rows.row_count as staged_row_count,
    rejected_rows.row_count as rejected_row_count
from input_rows
cross join staged_rows
cross join rejected_rows
where input_rows.row_count != staged_rows.row_count + rejected_rows.row_count

{% endtest %}
