"""The one place that turns what a dbt adapter hands a Python model into pandas."""

from __future__ import annotations

from typing import Any

import pandas as pd


def to_pandas(relation: Any) -> pd.DataFrame:
    """A pandas DataFrame from a DuckDB relation, a PySpark or Snowpark DataFrame, or pandas.

    Callers sample in SQL first: this pulls the whole relation into memory.
    """
    if isinstance(relation, pd.DataFrame):
        return relation
    for method in ("df", "toPandas", "to_pandas"):
        convert = getattr(relation, method, None)
        if callable(convert):
            return convert()
    raise TypeError(f"cannot convert {type(relation).__name__} to a pandas DataFrame")


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
