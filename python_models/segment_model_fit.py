"""Fits the customer segmentation, or keeps the current model, and stores it as artifacts."""

from threadpoolctl import threadpool_limits

from customer_segmentation.dbt_io import read_relation_if_exists, to_pandas
from customer_segmentation.refit_policy import decide_refit, latest_retrain_reason
from customer_segmentation.segmentation import PreviousModel, fit_segmentation
from customer_segmentation.settings import SegmentationSettings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = SegmentationSettings.from_json(dbt.config.get("segmentation_settings"))
    current = read_relation_if_exists(session, str(dbt.this))
    # The monitoring mart of the previous run says whether the policy asks for a refit. It is
    # read by name, not ref(): it is downstream of this model.
    monitoring = read_relation_if_exists(session, dbt.config.get("monitoring_relation"))
    # dbt's parser misses a dbt.config.get() nested in an expression inside a call's arguments
    # (and then hands the model no value): keep each get() a plain statement or argument.
    retrain_requested = dbt.config.get("retrain") in (True, "True", "true")
    decision = decide_refit(
        current,
        settings,
        force=retrain_requested,
        policy_reason=latest_retrain_reason(monitoring),
    )
    print(f"segment model: {decision.reason}", flush=True)
    if not decision.refit:
        return current
    previous = PreviousModel.from_artifacts(current) if current is not None else None
    training_sample = to_pandas(dbt.ref("int_customer_features_training_sample"))
    # Features and outcomes one horizon back: they weight the features and judge every k.
    labelled = to_pandas(dbt.ref("int_segment_validation_sample"))
    as_of_date = to_pandas(dbt.ref("int_as_of_date"))["as_of_date"].iloc[0]
    # The fit runs on a bounded sample; a set thread count avoids oversubscribing the cores
    # DuckDB and other processes share (var segmentation_threads).
    with threadpool_limits(limits=int(dbt.config.get("segmentation_threads"))):
        fitted = fit_segmentation(
            training_sample, settings, as_of_date, previous=previous, labelled=labelled
        )
    return fitted.artifacts()
