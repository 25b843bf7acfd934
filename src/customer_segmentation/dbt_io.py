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
