"""Scores the sentiment of every staged review and fits topics on the reviews written before
as_of_date (customer_segmentation.segmentation.reviews). The review text is read here and
nowhere after: the table holds scores, topic ids and topic words only."""

from threadpoolctl import threadpool_limits

from customer_segmentation.dbt_io import select_columns, to_pandas
from customer_segmentation.segmentation import review_text_artifacts
from customer_segmentation.settings import ReviewTextSettings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = ReviewTextSettings.from_json(dbt.config.get("review_text_settings"))
    run_date = to_pandas(dbt.ref("int_as_of_date"))
    as_of_date = str(run_date["as_of_date"].iloc[0])[:10]
    reviews = to_pandas(
        select_columns(dbt.ref("stg_shop__reviews"), ["review_id", "review_text", "reviewed_at"])
    )
    # Topic fitting is many small BLAS calls on tall, thin matrices: one thread each is faster
    # than two fighting over a busy machine, and the result does not depend on it.
    with threadpool_limits(limits=settings.threads):
        artifacts = review_text_artifacts(reviews, as_of_date, settings)
    parameters = artifacts[artifacts["record_type"] == "parameter"].set_index("metric")
    print(
        f"review text: {len(reviews)} reviews, "
        f"{int(parameters.at['reviews_language_supported', 'value'])} scored for sentiment; "
        f"topics {parameters.at['topics_status', 'text_value']}"
        + (
            f", k = {int(parameters.at['topics_k', 'value'])}"
            if parameters.at["topics_status", "text_value"] == "fitted"
            else ""
        ),
        flush=True,
    )
    return artifacts
