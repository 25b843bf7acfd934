{#- on-run-end: says in plain words, at the end of every build, whether the segments still fit
    today's customers (the latest row of marts.segment_monitoring), and whether they predict
    next-period churn and spend better than the RFM grid (marts.segment_models). -#}
{% macro log_monitoring_status() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(database=target.database, schema='marts', identifier='segment_monitoring') -%}
    {%- if relation is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set latest = run_query(
        "select cast(as_of_date as " ~ dbt.type_string() ~ "), status, reason from " ~ relation
        ~ " order by as_of_date desc limit 1") -%}
    {%- for row in latest.rows -%}
        {%- set message = "segment monitoring for " ~ row[0] ~ ": " ~ row[1] ~ " (" ~ row[2] ~ ")" -%}
        {%- if row[1] == 'retrain' -%}
            {%- set message = message ~ ". The next run refits the model; run now with --vars '{retrain: true}' to refit at once." -%}
        {%- endif -%}
        {%- do log(message, info=true) -%}
    {%- endfor -%}
    {#- And whether the current segments predict better than the RFM grid (marts.segment_validation). -#}
    {%- set registry = adapter.get_relation(database=target.database, schema='marts', identifier='segment_models') -%}
    {%- if registry is not none -%}
        {%- set validation = run_query(
            "select model_id, validation_verdict from " ~ registry ~ " where is_current") -%}
        {%- for row in validation.rows -%}
            {%- do log("segment validation of " ~ row[0] ~ ": " ~ row[1], info=true) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
