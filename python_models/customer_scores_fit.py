"""Fits the churn and value models on the training window, evaluates them on a time hold-out and
scores every eligible customer at as_of_date (customer_segmentation.prediction)."""

from threadpoolctl import threadpool_limits

from customer_segmentation.dbt_io import to_pandas
from customer_segmentation.prediction import (
    PredictionSettings,
    filter_relation,
    score_customers,
)


def model(dbt, session):
    dbt.config(materialized="table")
    settings = PredictionSettings.from_json(dbt.config.get("prediction_settings"))
    windows = to_pandas(dbt.ref("int_prediction_windows"))
    examples = to_pandas(dbt.ref("int_customers_churn_training_sample"))
    current = to_pandas(
        filter_relation(dbt.ref("int_customers_prediction_features"), "cutoff_role", "current")
    )
    # dbt finds refs by parsing this file: each dbt.ref call stays a plain call of its own.
    run_date = to_pandas(dbt.ref("int_as_of_date"))
    as_of_date = str(run_date["as_of_date"].iloc[0])[:10]
    with threadpool_limits(limits=int(dbt.config.get("prediction_threads"))):
        artifacts, summary = score_customers(examples, current, windows, settings, as_of_date)
    print(f"customer scores: {summary}", flush=True)
    return artifacts
