{#- The feature table of every run date, kept across runs: monitoring compares today's features
    with those of the model's training date. Rerunning a date replaces that date's rows, so
    --full-refresh and a rerun give the same rows for the dates they cover. -#}
{#- A numeric customer attribute declared later (var customer_attributes) is a new column: it is
    added to the kept table, null for the dates built before. -#}
{{ config(materialized='incremental', on_schema_change='append_new_columns', **incremental_replace_config('cutoff_date')) }}

with

features as (

    select * from {{ ref('int_customer_features') }}

),

final as (

    select
        as_of_date as cutoff_date,
        customer_id,
        {%- for feature in customer_numeric_features() %}
            {{ feature }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from features

)

select * from final
