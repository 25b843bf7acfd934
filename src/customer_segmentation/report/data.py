"""Reading a built warehouse for the report: which tables exist, their columns and rows, and the
context every section shares (the current model, its segments, their colours and labels).

A section that cannot be built raises NotBuiltError with the reason the page shows instead."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from customer_segmentation.report.figures import (
    OTHER_COLOUR,
    SEGMENT_COLOURS,
    format_money,
    is_missing,
    python_value,
)

# Column spellings accepted for tables whose schema a later issue settles. The first present wins.
K_SELECTION_METRICS = (
    # (label, column spellings, how to read it)
    ("Silhouette", ("silhouette", "silhouette_score"), "higher is better"),
    (
        "Davies-Bouldin",
        ("davies_bouldin", "davies_bouldin_index", "davies_bouldin_score"),
        "lower is better",
    ),
    ("Stability", ("stability", "stability_ari", "mean_ari", "bootstrap_stability"), "higher"),
    ("Inertia", ("inertia",), "look for the elbow"),
)
ACTION_COLUMNS = (
    "recommended_action",
    "action",
    "campaign",
    "campaign_name",
    "audience_name",
    "playbook_action",
    "offer",
)
CHANNEL_COLUMNS = ("channel", "campaign_channel")
PERIOD_COLUMNS = ("to_as_of_date", "as_of_date", "period_end")
STATUS_COLUMNS = ("status", "alert_status", "check_status", "result")
FAIRNESS_ATTRIBUTE_COLUMNS = ("attribute", "sensitive_attribute", "dimension")
FAIRNESS_GROUP_COLUMNS = ("attribute_value", "group_value", "group", "value", "category")
FAIRNESS_COUNT_COLUMNS = ("segment_customers", "customers", "n_customers", "customer_count")
STATUS_SEVERITY = {
    "fail": 3,
    "failed": 3,
    "error": 3,
    "alert": 3,
    "critical": 3,
    "drift": 3,
    "drifted": 3,
    "retrain": 3,
    "warn": 2,
    "warning": 2,
    "ok": 1,
    "pass": 1,
    "passed": 1,
    "stable": 1,
}
MONITORING_ROW_LIMIT = 60
RULES_PER_SEGMENT = 4


class NotBuiltError(Exception):
    """Raised by a section builder when its tables are missing, incomplete or empty."""


def require(reason: str | None) -> None:
    if reason:
        raise NotBuiltError(reason)


# --- reading the warehouse ----------------------------------------------------------------------


class Warehouse:
    """Read-only access to the tables of one DuckDB file, with existence and column checks."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection
        rows = connection.execute(
            """
            select table_schema, table_name, column_name
            from information_schema.columns
            where table_catalog = current_database()
            order by table_schema, table_name, ordinal_position
            """
        ).fetchall()
        columns: dict[str, list[str]] = {}
        for schema, table, column in rows:
            columns.setdefault(f"{schema}.{table}", []).append(column)
        self._columns = columns
        self._row_counts: dict[str, int] = {}

    def exists(self, table: str) -> bool:
        """True when `schema.table` is a table or view."""
        return table in self._columns

    def columns(self, table: str) -> list[str]:
        """Column names of `schema.table`, in table order (empty when it does not exist)."""
        return list(self._columns.get(table, []))

    def find(self, name: str, schemas: Sequence[str]) -> str | None:
        """The first `schema.name` that exists, trying the schemas in order, then any schema."""
        for schema in schemas:
            if f"{schema}.{name}" in self._columns:
                return f"{schema}.{name}"
        matches = sorted(key for key in self._columns if key.split(".", 1)[1] == name)
        return matches[0] if matches else None

    def row_count(self, table: str) -> int:
        """Rows in the table (cached: sections ask about the same tables)."""
        if table not in self._row_counts:
            self._row_counts[table] = int(
                self._connection.execute(f"select count(*) from {quote(table)}").fetchone()[0]
            )
        return self._row_counts[table]

    def why_not(self, table: str, required: Sequence[str] = ()) -> str | None:
        """Why the table cannot feed a section (missing, lacks columns, empty), or None."""
        if not self.exists(table):
            return f"{table} does not exist"
        missing = [column for column in required if column not in self._columns[table]]
        if missing:
            return f"{table} has no column {', '.join(missing)}"
        if self.row_count(table) == 0:
            return f"{table} is empty"
        return None

    def first_usable(self, tables: Sequence[str], required: Sequence[str]) -> str:
        """The first usable table; raises NotBuiltError with every table's reason otherwise."""
        reasons = []
        for table in tables:
            reason = self.why_not(table, required)
            if reason is None:
                return table
            reasons.append(reason)
        raise NotBuiltError("; ".join(reasons))

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a query and return a DataFrame."""
        return self._connection.execute(sql, list(parameters)).df()


def quote(table: str) -> str:
    """`schema.table` as a quoted SQL identifier."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split(".", 1))


def first_column(columns: Sequence[str], spellings: Sequence[str]) -> str | None:
    return next((name for name in spellings if name in columns), None)


# --- context shared by the sections -------------------------------------------------------------


@dataclass(frozen=True)
class ReportContext:
    """What every section needs: the current model, the segments and their colours."""

    model: dict[str, Any] | None
    model_id: str | None
    segments: pd.DataFrame
    colours: dict[int, str]
    labels: dict[int, str]
    sample_size: int
    seed: int
    currency: str | None = None

    def money(self, value: Any) -> str:
        """An amount with the shop's currency (segment_summary.currency_code), never wrapped."""
        return format_money(value, self.currency)

    def colour(self, segment_id: Any) -> str:
        """The segment's colour; grey for segments the current model does not have."""
        if is_missing(segment_id):
            return OTHER_COLOUR
        return self.colours.get(int(segment_id), OTHER_COLOUR)

    def label(self, segment_id: Any) -> str:
        """'<id> · <name>' for a segment of the model, 'Segment <id>' for others."""
        if is_missing(segment_id):
            return "none"
        return self.labels.get(int(segment_id), f"Segment {int(segment_id)}")

    def tick_label(self, segment_id: Any, width: int = 0) -> str:
        """Axis label with a dot in the segment's colour, optionally wrapped."""
        text = self.label(segment_id)
        if width:
            text = "<br>".join(textwrap.wrap(text, width)) or text
        return f"<span style='color:{self.colour(segment_id)}'>\u25cf</span> {text}"


def load_context(warehouse: Warehouse, sample_size: int, seed: int) -> ReportContext:
    model = None
    model_id = None
    if warehouse.why_not("ml.segment_model_metrics", ("model_id",)) is None:
        metrics = warehouse.query(
            f"select * from {quote('ml.segment_model_metrics')} order by model_id"
        )
        scored = set()
        if warehouse.why_not("marts.customer_segments", ("model_id",)) is None:
            scored = set(
                warehouse.query(
                    f"select distinct model_id from {quote('marts.customer_segments')}"
                )["model_id"]
            )
        # The model the customers were scored with is the one the report is about; without
        # scored customers, the latest model.
        current = metrics[metrics["model_id"].isin(scored)]
        if current.empty:
            current = metrics
            if "as_of_date" in metrics.columns:
                current = metrics.sort_values(["as_of_date", "model_id"], na_position="first")
        model = {key: python_value(value) for key, value in current.iloc[-1].items()}
        model_id = str(model["model_id"])
    elif warehouse.why_not("marts.customer_segments", ("model_id",)) is None:
        ids = warehouse.query(
            f"select distinct model_id from {quote('marts.customer_segments')} order by 1"
        )["model_id"]
        model_id = str(ids.iloc[-1])

    segments = pd.DataFrame(columns=["segment_id", "segment_name"])
    if warehouse.why_not("marts.segment_summary", ("segment_id", "segment_name")) is None:
        segments = warehouse.query(
            f"select * from {quote('marts.segment_summary')} order by segment_id"
        )
    elif warehouse.why_not("marts.customer_segments", ("segment_id", "segment_name")) is None:
        segments = warehouse.query(
            "select segment_id, min(segment_name) as segment_name "
            f"from {quote('marts.customer_segments')} group by segment_id order by segment_id"
        )
    ids = [int(value) for value in segments["segment_id"]]
    colours = {sid: SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)] for i, sid in enumerate(ids)}
    labels = {
        int(row.segment_id): f"{int(row.segment_id)} \u00b7 {row.segment_name}"
        for row in segments.itertuples(index=False)
    }
    currency = None
    if "currency_code" in segments.columns and segments["currency_code"].notna().any():
        currency = str(segments["currency_code"].dropna().iloc[0])
    return ReportContext(
        model, model_id, segments, colours, labels, sample_size, seed, currency=currency
    )


def model_filter(warehouse: Warehouse, table: str, context: ReportContext) -> tuple[str, list]:
    """A where clause restricting a table to the current model, when it has a model_id."""
    if context.model_id is not None and "model_id" in warehouse.columns(table):
        return "where model_id = ?", [context.model_id]
    return "", []
