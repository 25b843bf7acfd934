"""Keeps the stored segmentation model that is valid for this run, or fits a new one
(customer_segmentation.segmentation.model_choice), and stores it as artifacts."""

from threadpoolctl import threadpool_limits

from customer_segmentation.dbt_io import (
    iter_pandas_batches,
    read_relation_if_exists,
    relation_beside,
    select_columns,
    to_pandas,
)
from customer_segmentation.segmentation import (
    as_date,
    choose_model,
    evaluate_policy,
    fit_segmentation,
    kept_model_artifacts,
    new_model_artifacts,
    read_stored_models,
)
from customer_segmentation.settings import (
    MonitoringSettings,
    PredictionSettings,
    SegmentationSettings,
)


def model(dbt, session):
    dbt.config(materialized="table")
    settings = SegmentationSettings.from_json(dbt.config.get("segmentation_settings"))
    monitoring = MonitoringSettings.from_json(dbt.config.get("monitoring_settings"))
    # dbt's parser misses a dbt.config.get() nested in an expression inside a call's arguments
    # (and then hands the model no value): keep each get() a plain statement or argument.
    retrain = dbt.config.get("retrain")
    start_over = dbt.config.get("start_over")
    input_source = dbt.config.get("input_source")
    prediction = PredictionSettings.from_json(dbt.config.get("prediction_settings"))
    # The registry is downstream of this model: read by name, as earlier runs left it.
    stored = read_stored_models(
        read_relation_if_exists(session, relation_beside(dbt.this, "segment_model_history")),
        read_relation_if_exists(session, str(dbt.this)),
    )
    training_sample = to_pandas(dbt.ref("int_customer_features_training_sample"))
    # dbt finds refs by parsing this file: each dbt.ref call stays a plain call of its own.
    run_date = to_pandas(dbt.ref("int_as_of_date"))
    as_of_date = as_date(run_date["as_of_date"].iloc[0])
    drift_reference = to_pandas(dbt.ref("int_feature_drift_reference"))
    # Features and outcomes one horizon back: they weight the features and judge every k.
    labelled = to_pandas(dbt.ref("int_segment_validation_sample"))
    customers = dbt.ref("int_customer_features")

    def judge(candidate):
        # Streamed last: on DuckDB the stream holds the connection until it is drained.
        # Features named in the settings but absent from the table are left out of the model
        # too ("not a column of the feature table").
        wanted = {"customer_id", *settings.numeric_features, *settings.categorical_features}
        columns = sorted(wanted & set(customers.columns))
        batches = iter_pandas_batches(
            select_columns(customers, columns), prediction.score_batch_size
        )
        return evaluate_policy(
            candidate, batches, as_of_date, settings.numeric_features, monitoring
        )

    choice = choose_model(
        stored,
        settings,
        monitoring,
        as_of_date,
        training_sample,
        judge,
        retrain_requested=retrain in (True, "True", "true"),
        start_over=start_over in (True, "True", "true"),
    )
    print(f"segment model for {as_of_date}: {choice.reason}", flush=True)
    if not choice.refit:
        return kept_model_artifacts(choice, as_of_date, input_source)
    # The fit runs on a bounded sample; a set thread count avoids oversubscribing the cores
    # DuckDB and other processes share (segmentation.threads).
    with threadpool_limits(limits=settings.threads):
        fitted = fit_segmentation(
            training_sample,
            settings,
            as_of_date,
            previous=choice.previous,
            ids_issued=choice.ids_issued,
            labelled=labelled,
        )
    return new_model_artifacts(
        fitted, choice, training_sample, drift_reference, as_of_date, input_source
    )
