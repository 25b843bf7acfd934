"""The one place that turns what a dbt adapter hands a Python model into pandas."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

import pandas as pd


def to_pandas(relation: Any) -> pd.DataFrame:
    """A pandas DataFrame from a DuckDB relation, a PySpark or Snowpark DataFrame, or pandas.

    Callers sample in SQL first: this pulls the whole relation into memory. To read a relation of
    any size with bounded memory, use iter_pandas_batches.
    """
    if isinstance(relation, pd.DataFrame):
        return relation
    for method in ("df", "toPandas", "to_pandas"):
        convert = getattr(relation, method, None)
        if callable(convert):
            return convert()
    raise TypeError(f"cannot convert {type(relation).__name__} to a pandas DataFrame")


def iter_pandas_batches(
    relation: Any, batch_size: int, order_by: str | None = None
) -> Iterator[pd.DataFrame]:
    """The rows of a relation as pandas DataFrames of at most batch_size rows each, in order.

    order_by (a column name) sorts the rows in the engine, before any row reaches Python, so the
    batches come in a deterministic order; without it they come in the engine's order. Nothing is
    read until the first batch is asked for, and only one batch at a time is held in Python:
    - DuckDB relation: streamed as Arrow record batches (to_arrow_reader, or fetch_record_batch on
      older DuckDB). The stream holds the relation's connection until it is drained or the
      iterator is closed: run no other query on that connection between batches. Each batch
      becomes pandas through a private in-memory DuckDB connection, so its columns have the same
      types as relation.df() gives (DECIMAL as float64, not Decimal objects).
    - PySpark DataFrame: toLocalIterator (one partition at a time reaches the driver); each batch
      is pandas.DataFrame.from_records of the rows, with integer and floating columns made
      numeric (null as NaN); other columns hold the rows' Python values (Decimal, date), as
      toPandas gives them without Arrow.
    - Snowpark DataFrame: to_pandas_batches, re-cut to at most batch_size rows.
    - pandas DataFrame: consecutive slices (already in memory).
    """
    batch_size = int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if order_by is not None and not order_by.isidentifier():
        raise ValueError(f"order_by takes a column name, got {order_by!r}")
    if isinstance(relation, pd.DataFrame):
        return _pandas_batches(relation, batch_size, order_by)
    if callable(getattr(relation, "to_arrow_reader", None)) or callable(
        getattr(relation, "fetch_record_batch", None)
    ):
        return _duckdb_batches(relation, batch_size, order_by)
    if callable(getattr(relation, "toLocalIterator", None)):
        return _spark_batches(relation, batch_size, order_by)
    if callable(getattr(relation, "to_pandas_batches", None)):
        return _snowpark_batches(relation, batch_size, order_by)
    raise TypeError(f"cannot read {type(relation).__name__} as pandas batches")


def _pandas_batches(
    frame: pd.DataFrame, batch_size: int, order_by: str | None
) -> Iterator[pd.DataFrame]:
    if order_by is not None:
        frame = frame.sort_values(order_by, kind="stable")
    for start in range(0, len(frame), batch_size):
        yield frame.iloc[start : start + batch_size]


def _duckdb_batches(relation: Any, batch_size: int, order_by: str | None) -> Iterator[pd.DataFrame]:
    import duckdb

    if order_by is not None:
        relation = relation.order(order_by)
    if callable(getattr(relation, "to_arrow_reader", None)):
        reader = relation.to_arrow_reader(batch_size)
    else:  # DuckDB before 1.4
        reader = relation.fetch_record_batch(batch_size)
    converter = duckdb.connect()
    try:
        # DuckDB's batch size is approximate: cut every record batch to at most batch_size rows.
        for record_batch in reader:
            for start in range(0, record_batch.num_rows, batch_size):
                part = record_batch.slice(start, batch_size)
                yield converter.from_arrow(part).df()
    finally:
        reader.close()  # frees the connection when the caller stops early
        converter.close()


def _spark_batches(relation: Any, batch_size: int, order_by: str | None) -> Iterator[pd.DataFrame]:
    from pyspark.sql.types import DecimalType, NumericType

    if order_by is not None:
        relation = relation.orderBy(order_by)
    columns = list(relation.columns)
    # Integer and floating columns become numbers (NaN for null, as toPandas gives), not objects
    # whose type depends on whether a batch happens to hold a null. Decimals stay Decimal objects.
    numeric = [
        field.name
        for field in relation.schema.fields
        if isinstance(field.dataType, NumericType) and not isinstance(field.dataType, DecimalType)
    ]
    rows = relation.toLocalIterator()
    while chunk := list(islice(rows, batch_size)):
        frame = pd.DataFrame.from_records(chunk, columns=columns)
        for column in numeric:
            frame[column] = pd.to_numeric(frame[column])
        yield frame


def _snowpark_batches(
    relation: Any, batch_size: int, order_by: str | None
) -> Iterator[pd.DataFrame]:
    if order_by is not None:
        relation = relation.sort(order_by)
    for frame in relation.to_pandas_batches():
        for start in range(0, len(frame), batch_size):
            yield frame.iloc[start : start + batch_size].reset_index(drop=True)


def select_columns(relation: Any, columns: list[str]) -> Any:
    """The relation with only these columns, projected by the engine before anything is read.

    DuckDB relations (project), PySpark and Snowpark DataFrames (select) and pandas. Column names
    must be plain identifiers: they come from code and settings, not from input.
    """
    bad = [column for column in columns if not column.isidentifier()]
    if bad:
        raise ValueError(f"select_columns takes identifiers, got {bad}")
    if isinstance(relation, pd.DataFrame):
        return relation[list(columns)]
    if callable(getattr(relation, "project", None)):
        return relation.project(", ".join(columns))
    return relation.select(*columns)


def relation_beside(this: Any, identifier: str) -> str:
    """The rendered name of the relation called `identifier` in the same database and schema as
    dbt.this, quoted the way the adapter quoted dbt.this (a database file named "2026.duckdb" needs
    its quotes)."""
    rendered = str(this)
    quote = rendered[-1] if rendered[-1] in '"`' else ""
    own_name = f"{quote}{this.identifier}{quote}"
    if not rendered.endswith(own_name):
        raise ValueError(f"{rendered} does not end with the model's own name {own_name}")
    return rendered[: -len(own_name)] + f"{quote}{identifier}{quote}"


def read_relation_if_exists(session: Any, relation_name: str) -> pd.DataFrame | None:
    """The rows of a relation as pandas, or None when it does not exist yet.

    A Python model reads its own previous output (dbt.this) with this before replacing it.
    DuckDB, PySpark and Snowpark sessions all answer `sql()`.
    """
    try:
        return to_pandas(session.sql(f"select * from {relation_name}"))
    except Exception as error:  # each engine raises its own "no such table" error type
        message = str(error).lower()
        # DuckDB: "... does not exist"; Snowpark: "... does not exist or not authorized";
        # Spark / Databricks: "[TABLE_OR_VIEW_NOT_FOUND] The table or view ... cannot be found".
        if any(
            phrase in message
            for phrase in (
                "does not exist",
                "not found",
                "cannot be found",
                "table_or_view_not_found",
            )
        ):
            return None
        raise
