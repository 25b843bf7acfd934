"""customer_segmentation.dbt_io: what the dbt Python models get from each engine."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from customer_segmentation.dbt_io import read_relation_if_exists, to_pandas


class _Session:
    """A session whose sql() fails like an engine that has no such table."""

    def __init__(self, message: str) -> None:
        self.message = message

    def sql(self, query: str):
        raise RuntimeError(self.message)


def test_to_pandas_takes_duckdb_relations_and_frames():
    frame = pd.DataFrame({"customer_id": ["a", "b"]})
    assert to_pandas(frame) is frame
    relation = duckdb.sql("select 'a' as customer_id")
    assert to_pandas(relation)["customer_id"].tolist() == ["a"]
    with pytest.raises(TypeError):
        to_pandas(42)


@pytest.mark.parametrize(
    "message",
    [
        "Catalog Error: Table with name segment_model_fit does not exist!",
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `ml`.`segment_model_fit` cannot be found.",
        "SQL compilation error: Object 'ML.SEGMENT_MODEL_FIT' does not exist or not authorized.",
    ],
)
def test_a_missing_relation_reads_as_none_on_every_engine(message):
    assert read_relation_if_exists(_Session(message), "ml.segment_model_fit") is None


def test_other_errors_are_raised():
    with pytest.raises(RuntimeError, match="permission denied"):
        read_relation_if_exists(_Session("permission denied"), "ml.segment_model_fit")


class _DataFrameWith:
    """Stands in for a PySpark (toPandas) or Snowpark (to_pandas) DataFrame."""

    def __init__(self, method: str) -> None:
        setattr(self, method, lambda: pd.DataFrame({"customer_id": ["s"]}))


@pytest.mark.parametrize("method", ["toPandas", "to_pandas"])
def test_to_pandas_takes_spark_and_snowpark_frames(method):
    assert to_pandas(_DataFrameWith(method))["customer_id"].tolist() == ["s"]
