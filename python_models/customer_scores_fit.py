"""Fits the churn and value models on the training window and the probabilistic purchase model at
each cutoff, evaluates them on a time hold-out and scores every eligible customer at as_of_date:
with the supervised model where the history allows, else with the purchase model
(customer_segmentation.prediction.churn_value).

The examples and the purchase model's fitting customers are bounded samples (taken in SQL). The
current customers are not pulled into pandas at once: they are streamed, sorted by customer_id in
the engine, in batches of at most prediction.score_batch_size rows, and each batch is scored after
the models are fitted: only the three score columns of every customer are kept."""

from threadpoolctl import threadpool_limits

from customer_segmentation.dbt_io import iter_pandas_batches, to_pandas
from customer_segmentation.prediction import filter_relation, score_customers
from customer_segmentation.settings import PredictionSettings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = PredictionSettings.from_json(dbt.config.get("prediction_settings"))
    windows = to_pandas(dbt.ref("int_prediction_windows"))
    examples = to_pandas(dbt.ref("int_customers_churn_training_sample"))
    purchase_summaries = to_pandas(dbt.ref("int_customers_purchase_model_sample"))
    # dbt finds refs by parsing this file: each dbt.ref call stays a plain call of its own.
    run_date = to_pandas(dbt.ref("int_as_of_date"))
    as_of_date = str(run_date["as_of_date"].iloc[0])[:10]
    # Read last: on DuckDB the stream holds the connection until every batch has been scored.
    current = iter_pandas_batches(
        filter_relation(dbt.ref("int_customers_prediction_features"), "cutoff_role", "current"),
        settings.score_batch_size,
        order_by="customer_id",
    )
    with threadpool_limits(limits=settings.threads):
        artifacts, summary = score_customers(
            examples,
            current,
            windows,
            settings,
            as_of_date,
            purchase_summaries,
            score_threads=settings.score_threads,
        )
    print(f"customer scores: {summary}", flush=True)
    return artifacts
