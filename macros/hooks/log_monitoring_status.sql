{#- on-run-end: says in plain words, at the end of every build, which model served this run's
    as_of_date and whether it still fits the run's customers (this run's row of
    marts.segment_monitoring; the latest date in the table may be another run's), and whether
    the current segments predict next-period churn and spend better than the RFM grid
    (marts.segment_models). -#}
{% macro log_monitoring_status() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set monitoring = adapter.get_relation(database=target.database, schema='marts', identifier='segment_monitoring') -%}
    {%- set run_date = adapter.get_relation(database=target.database, schema='intermediate', identifier='int_as_of_date') -%}
    {%- if monitoring is none or run_date is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set dates = run_query("select cast(as_of_date as " ~ dbt.type_string() ~ ") from " ~ run_date) -%}
    {%- if dates.rows | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set as_of_date = dates.rows[0][0] -%}
    {%- set columns = adapter.get_columns_in_relation(monitoring) | map(attribute='name') | map('lower') | list -%}
    {%- if 'model_decision' not in columns -%}
        {#- A table of an earlier version, not rebuilt by this run. -#}
        {%- do log("segment monitoring for " ~ as_of_date ~ ": not built in this run (see the errors above)", info=true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rows = run_query(
        "select status, reason, model_id, model_decision, decision_reason from " ~ monitoring
        ~ " where cast(as_of_date as " ~ dbt.type_string() ~ ") = '" ~ as_of_date ~ "'") -%}
    {%- if rows.rows | length == 0 -%}
        {%- do log("segment monitoring for " ~ as_of_date ~ ": not built in this run (see the errors above)", info=true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set row = rows.rows[0] -%}
    {%- set status, reason, model_id, decision, decision_reason = row[0], row[1], row[2], row[3], row[4] -%}
    {%- if decision == 'first_fit' -%}
        {%- set model_line = "first model fitted: " ~ model_id -%}
    {%- elif decision == 'keep' -%}
        {%- set model_line = "model " ~ model_id ~ " kept" -%}
    {%- else -%}
        {%- set model_line = "new model " ~ model_id ~ " fitted (" ~ decision_reason ~ ")" -%}
    {%- endif -%}
    {%- set message = "segment model for " ~ as_of_date ~ ": " ~ model_line
        ~ ". segment monitoring for " ~ as_of_date ~ ": " ~ status ~ " (" ~ reason ~ ")" -%}
    {%- if status == 'retrain' -%}
        {%- set message = message ~ ". The model was kept (monitoring.retraining_policy " ~ setting('monitoring', 'retraining_policy')
            ~ "): run with --vars '{retrain: true}' to refit." -%}
    {%- endif -%}
    {%- do log(message, info=true) -%}
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
