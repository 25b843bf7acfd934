"""Fits the customer segmentation on the training sample and stores it as a long artifact table."""

from customer_segmentation.dbt_io import to_pandas
from customer_segmentation.segmentation import fit_segmentation
from customer_segmentation.settings import SegmentationSettings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = SegmentationSettings.from_json(dbt.config.get("segmentation_settings"))
    training_sample = to_pandas(dbt.ref("int_customer_features_training_sample"))
    as_of_date = to_pandas(dbt.ref("int_as_of_date"))["as_of_date"].iloc[0]
    return fit_segmentation(training_sample, settings, as_of_date).artifacts()
