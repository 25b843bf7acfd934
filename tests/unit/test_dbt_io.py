"""customer_segmentation.dbt_io: what the dbt Python models get from each engine."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from customer_segmentation.dbt_io import (
    iter_pandas_batches,
    read_relation_if_exists,
    relation_beside,
    to_pandas,
)


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


class _SnowparkStandIn:
    """Stands in for a Snowpark DataFrame (no Snowflake here): to_pandas, sort and
    to_pandas_batches, whose batches are not cut to any size we choose."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def to_pandas(self) -> pd.DataFrame:
        return self.frame

    def sort(self, column: str) -> _SnowparkStandIn:
        return _SnowparkStandIn(self.frame.sort_values(column, kind="stable"))

    def to_pandas_batches(self):
        for start in range(0, len(self.frame), 7):
            yield self.frame.iloc[start : start + 7].reset_index(drop=True)


def test_to_pandas_takes_a_snowpark_frame():
    frame = pd.DataFrame({"customer_id": ["s"]})
    assert to_pandas(_SnowparkStandIn(frame))["customer_id"].tolist() == ["s"]


def _customers(n: int) -> pd.DataFrame:
    """n customers in shuffled order, with a money column and some nulls."""
    ids = [f"c{i:04d}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "customer_id": ids,
            "monetary": [round(i * 1.37, 2) for i in range(n)],
            "sessions": [None if i % 5 == 0 else i % 11 for i in range(n)],
        }
    )
    return frame.sample(frac=1.0, random_state=3).reset_index(drop=True)


def _check_batches(batches, expected_ids: list[str], batch_size: int) -> pd.DataFrame:
    """Every batch is a DataFrame of at most batch_size rows; all rows come once, in order."""
    batches = list(batches)
    assert all(isinstance(batch, pd.DataFrame) for batch in batches)
    assert all(0 < len(batch) <= batch_size for batch in batches)
    combined = pd.concat(batches, ignore_index=True)
    assert combined["customer_id"].astype(str).tolist() == expected_ids
    return combined


@pytest.mark.parametrize("batch_size", [1, 7, 100, 1000])
def test_pandas_batches_cover_every_row_once_in_order(batch_size):
    frame = _customers(250)
    expected = sorted(frame["customer_id"])
    combined = _check_batches(
        iter_pandas_batches(frame, batch_size, order_by="customer_id"), expected, batch_size
    )
    assert (
        combined["monetary"].tolist()
        == frame.set_index("customer_id").loc[expected]["monetary"].tolist()
    )
    unordered = _check_batches(
        iter_pandas_batches(frame, batch_size), frame["customer_id"].tolist(), batch_size
    )
    assert len(unordered) == 250


@pytest.mark.parametrize("batch_size", [1, 7, 100, 3000, 5000])
def test_duckdb_batches_cover_every_row_once_in_order_with_df_types(batch_size):
    connection = duckdb.connect()
    frame = _customers(3000)
    connection.register("customers_frame", frame)
    connection.execute(
        "create table customers as select customer_id, cast(monetary as decimal(18, 2)) as "
        "monetary, cast(sessions as integer) as sessions from customers_frame"
    )
    relation = connection.table("customers")
    expected = sorted(frame["customer_id"])
    combined = _check_batches(
        iter_pandas_batches(relation, batch_size, order_by="customer_id"), expected, batch_size
    )
    # The same columns and types as the whole relation read with df() (DECIMAL as float64).
    whole = connection.sql("select * from customers order by customer_id").df()
    pd.testing.assert_frame_equal(combined, whole)
    # The stream is drained: the connection answers the next query.
    assert connection.sql("select count(*) from customers").fetchall() == [(3000,)]


def test_duckdb_batches_read_nothing_until_asked_and_free_the_connection_when_closed():
    connection = duckdb.connect()
    connection.execute("create table t as select range as customer_id from range(10000)")
    batches = iter_pandas_batches(connection.table("t"), 100, order_by="customer_id")
    assert connection.sql("select 1").fetchall() == [(1,)]  # nothing submitted yet
    assert next(batches)["customer_id"].tolist() == list(range(100))
    batches.close()  # stopping early closes the stream
    assert connection.sql("select 2").fetchall() == [(2,)]


def test_snowpark_batches_are_cut_to_the_batch_size():
    frame = _customers(50)
    _check_batches(
        iter_pandas_batches(_SnowparkStandIn(frame), 3, order_by="customer_id"),
        sorted(frame["customer_id"]),
        3,
    )


def test_batches_refuse_a_bad_size_an_unknown_relation_or_an_order_expression():
    frame = _customers(5)
    with pytest.raises(ValueError):
        iter_pandas_batches(frame, 0)
    with pytest.raises(ValueError):
        iter_pandas_batches(frame, 2, order_by="customer_id; drop table x")
    with pytest.raises(TypeError):
        iter_pandas_batches(42, 2)


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    """A real local Spark session (one core, no web UI; warehouse and Derby under tmp)."""
    pyspark_sql = pytest.importorskip(
        "pyspark.sql", reason="pyspark is not installed (the `spark` extra)"
    )
    directory = tmp_path_factory.mktemp("spark")
    try:
        session = (
            pyspark_sql.SparkSession.builder.master("local[1]")
            .appName("test_dbt_io")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.warehouse.dir", str(directory / "warehouse"))
            .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={directory}")
            .getOrCreate()
        )
    except Exception as error:  # no Java, or Java too old for this Spark
        pytest.skip(f"no local Spark session: {error}")
    yield session
    session.stop()


def _spark_customers(spark, n: int):
    frame = _customers(n)
    frame["sessions"] = frame["sessions"].astype("float64")
    # Several partitions, rows out of order within them: the order must come from order_by.
    return spark.createDataFrame(frame).repartition(3)


def test_to_pandas_takes_a_real_pyspark_frame(spark):
    relation = _spark_customers(spark, 40)
    frame = to_pandas(relation)
    assert isinstance(frame, pd.DataFrame)
    assert sorted(frame["customer_id"]) == sorted(_customers(40)["customer_id"])
    assert list(frame.columns) == ["customer_id", "monetary", "sessions"]


@pytest.mark.parametrize("batch_size", [1, 16, 1000])
def test_pyspark_batches_cover_every_row_once_in_order(spark, batch_size):
    relation = _spark_customers(spark, 250)
    expected = sorted(_customers(250)["customer_id"])
    combined = _check_batches(
        iter_pandas_batches(relation, batch_size, order_by="customer_id"), expected, batch_size
    )
    whole = relation.orderBy("customer_id").toPandas()
    pd.testing.assert_frame_equal(combined, whole, check_dtype=False)


class _This:
    """What dbt hands a Python model as dbt.this: the parts and the adapter's rendering."""

    def __init__(self, rendered: str, identifier: str) -> None:
        self.rendered = rendered
        self.identifier = identifier

    def __repr__(self) -> str:
        return self.rendered


def test_a_relation_beside_this_keeps_the_quoting_a_database_named_with_a_digit_needs(tmp_path):
    connection = duckdb.connect(str(tmp_path / "2026.duckdb"))
    connection.execute("create schema ml")
    connection.execute("create table ml.segment_model_history as select 1 as model_version")
    this = _This('"2026"."ml"."segment_model_fit"', "segment_model_fit")
    beside = relation_beside(this, "segment_model_history")
    assert beside == '"2026"."ml"."segment_model_history"'
    assert read_relation_if_exists(connection, beside)["model_version"].tolist() == [1]


@pytest.mark.parametrize(
    ("rendered", "expected"),
    [
        ("`shop`.`ml`.`segment_model_fit`", "`shop`.`ml`.`segment_model_history`"),
        ("ml.segment_model_fit", "ml.segment_model_history"),
    ],
)
def test_a_relation_beside_this_quotes_like_the_adapter(rendered, expected):
    this = _This(rendered, "segment_model_fit")
    assert relation_beside(this, "segment_model_history") == expected


def test_a_rendering_that_does_not_end_with_the_model_name_is_an_error():
    with pytest.raises(ValueError, match="does not end with"):
        relation_beside(_This('"shop"."ml"."other"', "segment_model_fit"), "segment_model_history")
