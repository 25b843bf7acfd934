{#- The rows a model fitted in SQL (kmeans_sql, rfm_grid) stores beside its fit, in the long
    artifact layout (model_artifact_columns): the drift reference of this run's customers (record
    type drift_reference, from the CTE named by drift_reference: int_feature_drift_reference),
    which later runs' drift is measured against, and this run's decision (record type decision):
    SQL fitters keep no model between runs, so every build refits, for the given reason. Needs a
    one-row CTE model_identity (model_id, as_of_date_text). customer_segmentation.segmentation.model_store
    declares these record types (DriftReferenceRecord, DecisionRecord) and writes them for the
    scikit-learn models. -#}
{% macro sql_fit_run_records(drift_reference, reason) -%}
    select
        {{ model_artifact_columns(
            'drift_reference', feature=drift_reference ~ '.feature', position=drift_reference ~ '.bin',
            metric="'upper_edge'", value=drift_reference ~ '.upper_edge') }}
    from {{ drift_reference }}
    cross join model_identity
    where {{ drift_reference }}.upper_edge is not null

    union all

    select
        {{ model_artifact_columns(
            'drift_reference', feature=drift_reference ~ '.feature', position=drift_reference ~ '.bin',
            metric="'reference_customers'", value=drift_reference ~ '.reference_customers') }}
    from {{ drift_reference }}
    cross join model_identity

    union all

    select
        {{ model_artifact_columns('decision', metric="'action'", text_value="'refit'") }}
    from model_identity

    union all

    select
        {{ model_artifact_columns('decision', metric="'reason'", text_value=sql_string_literal(reason)) }}
    from model_identity

    union all

    select
        {{ model_artifact_columns('decision', metric="'run_as_of_date'", text_value='model_identity.as_of_date_text') }}
    from model_identity
{%- endmacro %}
