"""Segment report: one self-contained HTML page from the tables of a built warehouse.

    write_report(database_path, output_path) -> Path
    python -m customer_segmentation.report [--database PATH] [--output PATH]

The warehouse is opened read-only and closed before the page is written. Sections, in page
order, and the tables they read (where a list is given, the first usable table wins):

    headline     ml.segment_model_metrics, marts.segment_summary
    sizes        marts.segment_summary
    profiles     marts.segment_profiles | intermediate.int_segment_feature_profiles
    segments     marts.segment_summary; rules from marts.segment_explanations; actions from
                 marts.campaign_audiences | a segment_playbook seed
    projection   intermediate.int_customer_features, ml.segment_model_scaling,
                 marts.customer_segments (+ ml.segment_model_centroids for the centres)
    k_selection  marts.segment_model_selection | ml.segment_model_candidates
    scores       marts.customer_scores, marts.customer_segments
    migration    marts.segment_migration
    monitoring   marts.segment_monitoring
    fairness     marts.segment_fairness | intermediate.int_customer_features (gender, age_band)
                 with marts.customer_segments
    risk         marts.segment_risk

A section is built only when its tables exist, have the columns it needs and hold rows; otherwise
the page says "not built: <why>" in its place. Several of these tables come with later work, so
their absence is the normal case, not an error.

The page inlines plotly.js from the plotly package (no CDN: it opens offline) and draws every
chart from a JSON spec embedded in the page. A hidden <pre id="report-status"> collects what the
page's script drew and every JavaScript error, so a headless browser can check the page
(tests/python/test_report_browser.py). Same warehouse, same bytes: nothing on the page depends on
the clock, the machine, the database's location or the order rows come back in.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots
from sklearn.decomposition import PCA

from customer_segmentation.naming import FEATURE_LABELS
from customer_segmentation.preprocessing import apply_scaling

DEFAULT_OUTPUT = Path("reports/segment_report.html")
DEFAULT_SAMPLE_SIZE = 5000
DEFAULT_SEED = 42
TEMPLATE_NAME = "segment_report.html.j2"

# Tableau 10 without its grey: colour-blind friendly, distinct at k <= 9. Grey is kept for
# "other / unknown", so a segment never looks like missing data. Segment i (in segment_id order)
# gets colour i in every chart and card.
SEGMENT_COLOURS = (
    "#4E79A7",
    "#F28E2B",
    "#E15759",
    "#76B7B2",
    "#59A14F",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
)
OTHER_COLOUR = "#BAB0AC"
# Non-segment categories (gender, age band) use blues and greys so they never read as segments.
GROUP_COLOURS = ("#0B3F7A", "#2468A6", "#4A90C0", "#7FB2D5", "#B5D4E9", "#DCE9F4", "#8D99A3")
UNKNOWN_GROUP_COLOUR = "#E3E3E3"
AGE_BAND_ORDER = ("under_25", "25_34", "35_44", "45_54", "55_64", "65_plus", "unknown")
FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", '
    "Arial, sans-serif"
)
TEXT_COLOUR = "#1F2933"
GRID_COLOUR = "#E4E7EB"
# Diverging scale for z-scores: blue below the average customer, red above, white at 0.
Z_SCORE_COLOURSCALE = [
    [0.0, "#2166AC"],
    [0.25, "#92C5DE"],
    [0.5, "#F7F7F7"],
    [0.75, "#F4A582"],
    [1.0, "#B2182B"],
]
Z_SCORE_LIMIT = 3.0
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

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

Progress = Callable[[str], None]


# --- what a section is made of ------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """A headline number: label, formatted value and a smaller detail line."""

    label: str
    value: str
    detail: str = ""
    css_class: str = ""


@dataclass(frozen=True)
class Chart:
    """One plotly figure; the page draws it from its JSON spec."""

    key: str
    title: str
    figure: go.Figure
    caption: str = ""


@dataclass(frozen=True)
class Cell:
    """A formatted table cell; css_class aligns numbers and colours statuses."""

    text: str
    css_class: str = ""
    title: str = ""


@dataclass(frozen=True)
class Table:
    """A small HTML table of already formatted cells."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""

    @property
    def numeric_columns(self) -> tuple[bool, ...]:
        """Per column: True when every present value is a number (its header aligns right)."""
        flags = []
        for index in range(len(self.columns)):
            classes = {row[index].css_class for row in self.rows}
            flags.append("num" in classes and classes <= {"num", "missing"})
        return tuple(flags)


@dataclass(frozen=True)
class SegmentCard:
    """Everything the page says about one segment."""

    segment_id: int
    name: str
    colour: str
    description: str
    figures: tuple[Kpi, ...]
    distinguishing: str
    rules: tuple[str, ...]
    actions: tuple[str, ...]


@dataclass
class Body:
    """The content of a built section."""

    sources: list[str]
    kpis: list[Kpi] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    cards: list[SegmentCard] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """A section of the page: built (body) or not built (reason)."""

    key: str
    title: str
    lead: str
    body: Body | None
    reason: str = ""

    @property
    def is_built(self) -> bool:
        """True when the section has content."""
        return self.body is not None


class NotBuiltError(Exception):
    """Raised by a section builder when its tables are missing, incomplete or empty."""


def _require(reason: str | None) -> None:
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


def _first_column(columns: Sequence[str], spellings: Sequence[str]) -> str | None:
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
        return _format_money(value, self.currency)

    def colour(self, segment_id: Any) -> str:
        """The segment's colour; grey for segments the current model does not have."""
        if _is_missing(segment_id):
            return OTHER_COLOUR
        return self.colours.get(int(segment_id), OTHER_COLOUR)

    def label(self, segment_id: Any) -> str:
        """'<id> · <name>' for a segment of the model, 'Segment <id>' for others."""
        if _is_missing(segment_id):
            return "none"
        return self.labels.get(int(segment_id), f"Segment {int(segment_id)}")

    def tick_label(self, segment_id: Any, width: int = 0) -> str:
        """Axis label with a dot in the segment's colour, optionally wrapped."""
        text = self.label(segment_id)
        if width:
            text = "<br>".join(textwrap.wrap(text, width)) or text
        return f"<span style='color:{self.colour(segment_id)}'>\u25cf</span> {text}"


def _load_context(warehouse: Warehouse, sample_size: int, seed: int) -> ReportContext:
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
        model = {key: _python_value(value) for key, value in current.iloc[-1].items()}
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


def _model_filter(warehouse: Warehouse, table: str, context: ReportContext) -> tuple[str, list]:
    """A where clause restricting a table to the current model, when it has a model_id."""
    if context.model_id is not None and "model_id" in warehouse.columns(table):
        return "where model_id = ?", [context.model_id]
    return "", []


# --- formatting ---------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _python_value(value: Any) -> Any:
    """numpy / pandas scalars as plain Python values (None for missing)."""
    if _is_missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    return value


def _format_count(value: Any) -> str:
    return "\u2014" if _is_missing(value) else f"{round(float(value)):,}"


def _format_days(value: Any) -> str:
    return "\u2014" if _is_missing(value) else f"{round(float(value)):,} d"


CURRENCY_SYMBOLS = {"EUR": "\u20ac", "GBP": "\u00a3", "USD": "$", "JPY": "\u00a5"}


def _format_money(value: Any, currency: str | None = None) -> str:
    """'€12,345' for currencies with a symbol, '12,345 CHF' for others, '12,345' without one;
    '-€12' for negative amounts. Non-breaking spaces: an amount never wraps mid-number."""
    if _is_missing(value):
        return "\u2014"
    amount = float(value)
    digits = f"{abs(amount):,.0f}"
    sign = "-" if round(amount) < 0 else ""
    if currency is None:
        return f"{sign}{digits}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{digits}\u00a0{currency.upper()}"


def _count_phrase(value: Any, noun: str = "customer") -> str:
    """'1 customer', '2,000 customers'."""
    if _is_missing(value):
        return f"\u2014 {noun}s"
    number = round(float(value))
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _format_share(value: Any) -> str:
    return "\u2014" if _is_missing(value) else f"{100 * float(value):.1f}%"


def _format_number(value: Any, digits: int = 2) -> str:
    if _is_missing(value):
        return "\u2014"
    number = float(value)
    if number.is_integer():
        return f"{number:,.0f}"
    return f"{number:,.{digits}f}"


def _format_cell(value: Any) -> Cell:
    """A table cell for a value of any type: numbers right-aligned, missing as a dash."""
    value = _python_value(value)
    if value is None:
        return Cell("\u2014", "missing")
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    if isinstance(value, int):
        return Cell(f"{value:,}", "num")
    if isinstance(value, float | Decimal):
        return Cell(_format_number(value, 3), "num")
    if isinstance(value, datetime):
        return Cell(value.isoformat(sep=" ", timespec="seconds"))
    if isinstance(value, date):
        return Cell(value.isoformat())
    return Cell(str(value))


def _rounded(values: Any, digits: int = 6) -> list[float | None]:
    """Plotted numbers rounded: same chart for float noise from parallel aggregation."""
    result: list[float | None] = []
    for value in values:
        if _is_missing(value):
            result.append(None)
        else:
            number = float(value)
            result.append(float(f"{number:.{digits}g}") if math.isfinite(number) else None)
    return result


def _feature_label(feature: str) -> str:
    return FEATURE_LABELS.get(feature, feature.replace("_", " "))


def _wrap(text: str, width: int) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


# --- plotly -------------------------------------------------------------------------------------


def _style(figure: go.Figure, height: int, **layout: Any) -> go.Figure:
    """The house look for every chart; `layout` overrides per chart."""
    # No plotly template: every figure would carry (and validate) a copy of it, which costs
    # ~0.2 s a chart; the few settings that matter are set here instead.
    base: dict[str, Any] = {
        "template": "none",
        "height": height,
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOUR},
        "margin": {"l": 10, "r": 20, "t": 40, "b": 40},
        "paper_bgcolor": "#FFFFFF",
        "plot_bgcolor": "#FFFFFF",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 12}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
    }
    figure.update_layout(**{**base, **layout})
    axes = {
        "gridcolor": GRID_COLOUR,
        "zerolinecolor": "#CBD2D9",
        "linecolor": "#CBD2D9",
        "ticks": "",
        "automargin": True,
    }
    figure.update_xaxes(**axes)
    figure.update_yaxes(**axes)
    figure.update_coloraxes(colorbar_outlinewidth=0)
    figure.update_traces(colorbar={"outlinewidth": 0, "ticks": ""}, selector={"type": "heatmap"})
    return figure


def _figure_json(figure: go.Figure) -> str:
    """The figure as JSON safe to embed in a <script> element.

    engine="json" because orjson, when installed, formats floats differently: the page must not
    depend on which optional packages are present. <, > and & are escaped as JSON unicode
    escapes so no string in a figure can close the script element.
    """
    text = pio.to_json(figure, validate=False, pretty=False, engine="json")
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# --- sections -----------------------------------------------------------------------------------


def _headline(warehouse: Warehouse, context: ReportContext) -> Body:
    summary_reason = warehouse.why_not("marts.segment_summary", ("segment_id", "customers"))
    if context.model is None and summary_reason:
        metrics_reason = warehouse.why_not("ml.segment_model_metrics", ("model_id",))
        raise NotBuiltError(f"{metrics_reason}; {summary_reason}")
    body = Body(sources=[])
    if summary_reason is None:
        body.sources.append("marts.segment_summary")
        summary = context.segments
        body.kpis.append(Kpi("Customers", _format_count(summary["customers"].sum()), "segmented"))
        body.kpis.append(Kpi("Segments", _format_count(len(summary))))
        if "revenue" in summary.columns:
            body.kpis.append(Kpi("Revenue", context.money(summary["revenue"].sum()), "net"))
    else:
        body.notes.append(f"Segment figures not shown: {summary_reason}.")
    model = context.model
    if model is not None:
        body.sources.append("ml.segment_model_metrics")
        as_of = model.get("as_of_date")
        body.kpis.append(Kpi("As of", "\u2014" if as_of is None else str(as_of)))
        detail = []
        if model.get("k") is not None:
            detail.append(f"k = {model['k']}")
        if model.get("silhouette") is not None:
            detail.append(f"silhouette {model['silhouette']:.3f}")
        body.kpis.append(
            Kpi("Algorithm", str(model.get("algorithm") or "\u2014"), ", ".join(detail))
        )
        training = model.get("training_customers")
        body.kpis.append(
            Kpi(
                "Model",
                str(model["model_id"]),
                "" if training is None else f"fitted on {_count_phrase(training)}",
                "kpi-model",
            )
        )
    else:
        reason = warehouse.why_not("ml.segment_model_metrics", ("model_id",))
        body.notes.append(f"Model figures not shown: {reason}.")
    return body


def _sizes(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_summary"
    _require(warehouse.why_not(table, ("segment_id", "segment_name", "customers")))
    summary = context.segments
    ids = list(summary["segment_id"])
    labels = [context.tick_label(sid, 34) for sid in ids]
    colours = [context.colour(sid) for sid in ids]
    total = summary["customers"].sum()
    customer_share = (
        summary["share_of_customers"]
        if "share_of_customers" in summary.columns
        else summary["customers"] / total
    )
    has_revenue = (
        "share_of_revenue" in summary.columns and summary["share_of_revenue"].notna().any()
    )
    panels = ["Share of customers"] + (["Share of revenue"] if has_revenue else [])
    figure = make_subplots(
        rows=1,
        cols=len(panels),
        shared_yaxes=True,
        subplot_titles=panels,
        horizontal_spacing=0.06,
    )
    figure.add_trace(
        go.Bar(
            y=labels,
            x=_rounded(customer_share),
            orientation="h",
            marker={"color": colours},
            text=[_format_share(v) for v in customer_share],
            textposition="outside",
            cliponaxis=False,
            customdata=[_count_phrase(v) for v in summary["customers"]],
            hovertemplate="%{y}<br>%{customdata} (%{text})<extra></extra>",
            name="customers",
        ),
        row=1,
        col=1,
    )
    notes = []
    if has_revenue:
        revenue_share = summary["share_of_revenue"]
        revenue = summary["revenue"] if "revenue" in summary.columns else revenue_share
        figure.add_trace(
            go.Bar(
                y=labels,
                x=_rounded(revenue_share.fillna(0)),
                orientation="h",
                marker={"color": colours, "pattern": {"shape": "/", "fgcolor": "#FFFFFF"}},
                text=[_format_share(v) for v in revenue_share],
                textposition="outside",
                cliponaxis=False,
                customdata=[context.money(v) for v in revenue],
                hovertemplate="%{y}<br>revenue %{customdata} (%{text})<extra></extra>",
                name="revenue",
            ),
            row=1,
            col=2,
        )
    else:
        notes.append("Revenue shares not shown: share_of_revenue is missing or null.")
    shares = list(customer_share) + (list(summary["share_of_revenue"]) if has_revenue else [])
    shares = [float(v) for v in shares if not _is_missing(v)]
    # Room for the outside labels; below 0 only when refunds exceed purchases in a segment.
    low, high = min(0.0, min(shares)), max(0.0, max(shares))
    figure.update_xaxes(
        tickformat=".0%", range=[low * 1.18, min(1.0, high * 1.18 + 0.02)], showgrid=True
    )
    figure.update_yaxes(autorange="reversed", showgrid=False)
    _style(
        figure,
        height=120 + 48 * len(ids),
        showlegend=False,
        bargap=0.3,
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
    )
    return Body(
        sources=[table],
        charts=[Chart("shares", "", figure)],
        notes=notes,
    )


def _profiles(warehouse: Warehouse, context: ReportContext) -> Body:
    table = warehouse.first_usable(
        ["marts.segment_profiles", "intermediate.int_segment_feature_profiles"],
        ("segment_id", "feature", "z_score"),
    )
    rank_column = "importance_rank" if "importance_rank" in warehouse.columns(table) else None
    select_rank = f", {rank_column}" if rank_column else ""
    profiles = warehouse.query(
        f"select segment_id, feature, z_score{select_rank} from {quote(table)} "
        "order by segment_id, feature"
    )
    if rank_column is None:
        # Same ranking as segment_summary.distinguishing_features: largest |z| first.
        ranked = profiles.assign(abs_z=profiles["z_score"].abs())
        ranked = ranked.sort_values(
            ["segment_id", "abs_z", "feature"], ascending=[True, False, True]
        )
        ranked["importance_rank"] = ranked.groupby("segment_id").cumcount() + 1
        ranked.loc[ranked["z_score"].isna(), "importance_rank"] = np.nan
        profiles = ranked.drop(columns="abs_z")
    known = list(FEATURE_LABELS)
    # Features in a fixed order (RFM first, as FEATURE_LABELS lists them), so reports of
    # different runs read the same way; bold marks each segment's most distinguishing ones.
    features = sorted(
        profiles["feature"].unique(),
        key=lambda name: (known.index(name) if name in known else len(known), name),
    )
    segment_ids = sorted(int(value) for value in profiles["segment_id"].unique())
    z = profiles.pivot(index="feature", columns="segment_id", values="z_score")
    rank = profiles.pivot(index="feature", columns="segment_id", values="importance_rank")
    z = z.reindex(index=features, columns=segment_ids)
    rank = rank.reindex(index=features, columns=segment_ids)
    text = []
    for feature in features:
        row = []
        for sid in segment_ids:
            value = z.at[feature, sid]
            if _is_missing(value):
                row.append("")
                continue
            cell = f"{value:+.2f}"
            top = rank.at[feature, sid]
            row.append(f"<b>{cell}</b>" if not _is_missing(top) and top <= 3 else cell)
        text.append(row)
    figure = go.Figure(
        go.Heatmap(
            z=[_rounded(z.loc[feature]) for feature in features],
            x=[context.tick_label(sid, 16) for sid in segment_ids],
            y=[_feature_label(feature) for feature in features],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 12},
            zmin=-Z_SCORE_LIMIT,
            zmid=0,
            zmax=Z_SCORE_LIMIT,
            colorscale=Z_SCORE_COLOURSCALE,
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": "z-score", "side": "right"}, "thickness": 14},
            hovertemplate="%{x}<br>%{y}: z = %{z:.2f}<extra></extra>",
            hoverongaps=False,
        )
    )
    figure.update_xaxes(side="top", showgrid=False, tickangle=0)
    figure.update_yaxes(autorange="reversed", showgrid=False)
    _style(figure, height=140 + 30 * len(features), margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return Body(sources=[table], charts=[Chart("heatmap", "", figure)])


def _segments(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_summary"
    _require(warehouse.why_not(table, ("segment_id", "segment_name", "customers")))
    body = Body(sources=[table])
    rules = _segment_rules(warehouse, body)
    actions = _segment_actions(warehouse, body)
    for row in context.segments.to_dict("records"):
        sid = int(row["segment_id"])
        figures = [
            Kpi(
                "Customers",
                _format_count(row["customers"]),
                _format_share(row.get("share_of_customers")) + " of all",
            )
        ]
        if "revenue" in row:
            figures.append(
                Kpi(
                    "Revenue",
                    context.money(row["revenue"]),
                    _format_share(row.get("share_of_revenue")) + " of all",
                )
            )
        for label, mean, median, formatter in (
            ("Recency", "avg_recency_days", "median_recency_days", _format_days),
            ("Orders", "avg_frequency", "median_frequency", _format_number),
            ("Net spend", "avg_monetary", "median_monetary", context.money),
        ):
            if mean in row:
                detail = f"median {formatter(row[median])}" if median in row else ""
                figures.append(Kpi(label, formatter(row[mean]), detail))
        name = str(row["segment_name"])
        segment_actions = actions.get(sid, actions.get(name, ()))
        body.cards.append(
            SegmentCard(
                segment_id=sid,
                name=name,
                colour=context.colour(sid),
                description=str(row.get("description") or ""),
                figures=tuple(figures),
                distinguishing=_readable_features(row.get("distinguishing_features")),
                rules=tuple(rules.get(sid, ())),
                actions=tuple(segment_actions),
            )
        )
    return body


def _readable_features(text: Any) -> str:
    """'recency_days +1.53, sessions -0.97' with feature labels: 'days since last order +1.53'."""
    if _is_missing(text) or not str(text).strip():
        return ""
    parts = []
    for item in str(text).split(", "):
        name, _, value = item.rpartition(" ")
        parts.append(f"{_feature_label(name)} {value}" if name else item)
    return ", ".join(parts)


def _segment_rules(warehouse: Warehouse, body: Body) -> dict[int, list[str]]:
    table = "marts.segment_explanations"
    reason = warehouse.why_not(
        table, ("segment_id", "rule_rank", "rule", "coverage", "rule_precision")
    )
    if reason:
        body.notes.append(f"Rules not built: {reason}.")
        return {}
    body.sources.append(table)
    frame = warehouse.query(
        f"select segment_id, rule, coverage, rule_precision from {quote(table)} "
        "order by segment_id, rule_rank"
    )
    rules: dict[int, list[str]] = {}
    for row in frame.itertuples(index=False):
        listed = rules.setdefault(int(row.segment_id), [])
        if len(listed) < RULES_PER_SEGMENT:
            listed.append(
                f"{row.rule} \u2014 covers {_format_share(row.coverage)} of the segment, "
                f"precision {_format_share(row.rule_precision)}"
            )
    return rules


def _segment_actions(warehouse: Warehouse, body: Body) -> dict[Any, list[str]]:
    """Recommended actions keyed by segment_id (or segment_name for a playbook by name)."""
    candidates = ["marts.campaign_audiences"]
    playbook = warehouse.find("segment_playbook", ("reference", "seeds", "marts", "main"))
    if playbook:
        candidates.append(playbook)
    reasons = []
    for table in candidates:
        columns = warehouse.columns(table)
        key = _first_column(columns, ("segment_id", "segment_name"))
        action = _first_column(columns, ACTION_COLUMNS)
        reason = warehouse.why_not(table)
        if reason is None and (key is None or action is None):
            reason = f"{table} has no segment_id/segment_name or action column"
        if reason:
            reasons.append(reason)
            continue
        body.sources.append(table)
        channel = _first_column(columns, CHANNEL_COLUMNS)
        channel_sql = f'"{channel}"' if channel else "null"
        customers_sql = (
            "count(distinct customer_id)" if "customer_id" in columns else "cast(null as bigint)"
        )
        frame = warehouse.query(
            f'select "{key}" as segment_key, "{action}" as action, {channel_sql} as channel, '
            f"{customers_sql} as customers from {quote(table)} "
            f'where "{action}" is not null group by all order by all'
        )
        actions: dict[Any, list[str]] = {}
        for row in frame.itertuples(index=False):
            text = str(row.action)
            if not _is_missing(row.channel):
                text += f" (via {row.channel})"
            if not _is_missing(row.customers):
                text += f" \u2014 {_count_phrase(row.customers)}"
            segment_key = row.segment_key if key == "segment_name" else int(row.segment_key)
            actions.setdefault(segment_key, []).append(text)
        return actions
    if not playbook:
        reasons.append("no segment_playbook seed")
    body.notes.append(f"Recommended actions not built: {'; '.join(reasons)}.")
    return {}


def _projection(warehouse: Warehouse, context: ReportContext) -> Body:
    features_table = "intermediate.int_customer_features"
    scaling_table = "ml.segment_model_scaling"
    segments_table = "marts.customer_segments"
    _require(warehouse.why_not(segments_table, ("customer_id", "segment_id")))
    _require(
        warehouse.why_not(
            scaling_table,
            ("feature", "position", "source_column", "transform", "center", "scale"),
        )
    )
    _require(warehouse.why_not(features_table, ("customer_id",)))
    where, parameters = _model_filter(warehouse, scaling_table, context)
    scaling = warehouse.query(
        f"select * from {quote(scaling_table)} {where} order by position", parameters
    )
    if len(scaling) < 2:
        raise NotBuiltError(f"the model has {len(scaling)} dimension(s); a 2-D view needs two")
    sources = list(dict.fromkeys(scaling["source_column"]))
    missing = [name for name in sources if name not in warehouse.columns(features_table)]
    if missing:
        raise NotBuiltError(f"{features_table} has no column {', '.join(missing)}")
    selected = ", ".join(f'features."{name}"' for name in sources)
    # A deterministic sample: the first customers in md5(customer_id) order, as the training
    # sample is drawn. Independent of row order and of the machine.
    sample = warehouse.query(
        f"select features.customer_id, segments.segment_id, {selected} "
        f"from {quote(features_table)} as features "
        f"inner join {quote(segments_table)} as segments "
        "on features.customer_id = segments.customer_id "
        "order by md5(cast(features.customer_id as varchar)), features.customer_id limit ?",
        [context.sample_size],
    )
    if len(sample) < 3:
        raise NotBuiltError(f"only {len(sample)} segmented customer(s) with features")
    scaled = apply_scaling(sample, scaling)
    # The full SVD has no random step; random_state documents the seed should a randomised
    # solver ever be chosen.
    pca = PCA(n_components=2, svd_solver="full", random_state=context.seed)
    points = pca.fit_transform(scaled)
    variance = pca.explained_variance_ratio_
    figure = go.Figure()
    segment_ids = sorted(int(value) for value in sample["segment_id"].unique())
    for sid in segment_ids:
        mask = (sample["segment_id"] == sid).to_numpy()
        figure.add_trace(
            go.Scatter(
                x=_rounded(points[mask, 0], 5),
                y=_rounded(points[mask, 1], 5),
                mode="markers",
                name=context.label(sid),
                marker={"color": context.colour(sid), "size": 5, "opacity": 0.55},
                customdata=list(sample.loc[mask, "customer_id"].astype(str)),
                hovertemplate=f"{context.label(sid)}<br>customer %{{customdata}}<extra></extra>",
            )
        )
    notes = []
    body_sources = [features_table, scaling_table, segments_table]
    centres = _projected_centres(warehouse, context, scaling, pca)
    if isinstance(centres, str):
        notes.append(centres)
    else:
        body_sources.append("ml.segment_model_centroids")
        figure.add_trace(
            go.Scatter(
                x=_rounded(centres[:, 1], 5),
                y=_rounded(centres[:, 2], 5),
                mode="markers",
                name="segment centres",
                # Filled in the segment's colour with a dark outline: visible on top of its
                # own customers, and still tied to the segment by colour.
                marker={
                    "symbol": "x",
                    "size": 17,
                    "color": [context.colour(s) for s in centres[:, 0]],
                    "line": {"width": 1.5, "color": "#1F2933"},
                },
                text=[context.label(s) for s in centres[:, 0]],
                hovertemplate="centre of %{text}<extra></extra>",
            )
        )
    figure.update_xaxes(title={"text": f"PC1 ({variance[0]:.0%} of variance)"}, zeroline=False)
    figure.update_yaxes(title={"text": f"PC2 ({variance[1]:.0%} of variance)"}, zeroline=False)
    _style(
        figure,
        height=580,
        legend={"orientation": "v", "x": 1.01, "y": 1, "title": None, "itemsizing": "constant"},
    )
    shown = len(sample)
    notes.insert(
        0,
        f"{_count_phrase(shown)} shown"
        + (
            " (a deterministic sample by customer_id hash)."
            if shown == context.sample_size
            else "."
        )
        + f" The two axes keep {variance.sum():.0%} of the variance of the model space.",
    )
    return Body(sources=body_sources, charts=[Chart("pca", "", figure)], notes=notes)


def _projected_centres(
    warehouse: Warehouse, context: ReportContext, scaling: pd.DataFrame, pca: PCA
) -> np.ndarray | str:
    """Rows (segment_id, pc1, pc2) of the stored centroids, or why they are not shown."""
    table = "ml.segment_model_centroids"
    reason = warehouse.why_not(table, ("segment_id", "position", "centroid_value"))
    if reason:
        return f"Segment centres not shown: {reason}."
    where, parameters = _model_filter(warehouse, table, context)
    centroids = warehouse.query(
        f"select segment_id, position, centroid_value from {quote(table)} {where} "
        "order by segment_id, position",
        parameters,
    )
    matrix = centroids.pivot(index="segment_id", columns="position", values="centroid_value")
    positions = list(scaling["position"])
    if sorted(matrix.columns) != sorted(positions) or matrix.isna().any().any():
        return f"Segment centres not shown: {table} does not match the scaling dimensions."
    projected = pca.transform(matrix[positions].to_numpy(dtype=float))
    return np.column_stack([matrix.index.to_numpy(dtype=float), projected])


def _k_selection(warehouse: Warehouse, context: ReportContext) -> Body:
    table = warehouse.first_usable(
        ["marts.segment_model_selection", "ml.segment_model_candidates"], ("k",)
    )
    columns = warehouse.columns(table)
    metrics = [
        (label, column, hint)
        for label, spellings, hint in K_SELECTION_METRICS
        if (column := _first_column(columns, spellings)) is not None
    ]
    if not metrics:
        raise NotBuiltError(f"{table} has no silhouette, Davies-Bouldin, stability or inertia")
    where, parameters = _model_filter(warehouse, table, context)
    frame = warehouse.query(f"select * from {quote(table)} {where} order by k", parameters)
    if frame.empty:
        raise NotBuiltError(f"{table} has no rows for model {context.model_id}")
    chosen_k = None
    if "is_chosen" in frame.columns and frame["is_chosen"].fillna(False).astype(bool).any():
        chosen_k = int(frame.loc[frame["is_chosen"].fillna(False).astype(bool), "k"].iloc[0])
    elif context.model is not None and context.model.get("k") is not None:
        chosen_k = int(context.model["k"])
    figure = make_subplots(
        rows=1,
        cols=len(metrics),
        subplot_titles=[f"{label} ({hint})" for label, _, hint in metrics],
        horizontal_spacing=0.07,
    )
    ks = [int(k) for k in frame["k"]]
    for index, (label, column, _) in enumerate(metrics, start=1):
        values = _rounded(frame[column])
        figure.add_trace(
            go.Scatter(
                x=ks,
                y=values,
                mode="lines+markers",
                name=label,
                line={"color": "#3D4F63", "width": 2},
                marker={"size": 7, "color": "#3D4F63"},
                hovertemplate=f"k = %{{x}}<br>{label} %{{y:.4g}}<extra></extra>",
            ),
            row=1,
            col=index,
        )
        if chosen_k is not None and chosen_k in ks:
            chosen_value = values[ks.index(chosen_k)]
            figure.add_vline(
                x=chosen_k, line={"color": "#E15759", "dash": "dot", "width": 1.5}, row=1, col=index
            )
            figure.add_trace(
                go.Scatter(
                    x=[chosen_k],
                    y=[chosen_value],
                    mode="markers",
                    name=f"chosen k = {chosen_k}",
                    marker={"symbol": "star", "size": 16, "color": "#E15759"},
                    hovertemplate=f"chosen k = {chosen_k}<extra></extra>",
                ),
                row=1,
                col=index,
            )
    figure.update_xaxes(title={"text": "k (segments)"}, dtick=1)
    _style(figure, height=360, showlegend=False, margin={"l": 10, "r": 20, "t": 60, "b": 40})
    figure.update_annotations(font={"size": 13})
    notes = []
    if chosen_k is None:
        notes.append("No chosen k recorded.")
    return Body(sources=[table], charts=[Chart("curves", "", figure)], notes=notes)


VALIDATION_METHODS = {
    "segments": ("The segments", "#3D4F63"),
    "rfm_grid": ("RFM grid (11 labels)", "#E15759"),
    "recency_quartiles": ("Recency quartiles", "#BAB0AC"),
}
VALIDATION_COLUMNS = (
    # (header, metric, formatter)
    ("Churn eta\u00b2", "churn_eta_squared", lambda v: _format_number(v, 3)),
    ("Spend eta\u00b2", "spend_eta_squared", lambda v: _format_number(v, 3)),
    ("Churn rate of the worst group \u00f7 all", "churn_lift_worst_segment", _format_number),
    ("Churn rate of the best group \u00f7 all", "churn_lift_best_segment", _format_number),
    ("Spend of the best group \u00f7 all", "spend_lift_best_segment", _format_number),
    ("Spend of the worst group \u00f7 all", "spend_lift_worst_segment", _format_number),
)


def _validation(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_validation"
    _require(warehouse.why_not(table, ("model_id", "method", "metric", "value", "is_chosen")))
    where, parameters = _model_filter(warehouse, table, context)
    frame = warehouse.query(
        f"select * from {quote(table)} {where} order by method_order, k, metric", parameters
    )
    if frame.empty:
        raise NotBuiltError(f"{table} has no rows for model {context.model_id}")
    chosen = frame[frame["is_chosen"].fillna(False).astype(bool)]
    figures = {(row["method"], row["metric"]): row["value"] for row in chosen.to_dict("records")}
    groups = {row["method"]: row["k"] for row in chosen.to_dict("records")}
    first = frame.iloc[0]
    body = Body(sources=[table])
    beats = first.get("beats_rfm_grid")
    verdict = "not compared" if _is_missing(beats) else ("yes" if beats else "no")
    body.kpis.append(
        Kpi(
            "Beat the RFM grid?",
            verdict,
            "on churn and spend eta\u00b2",
            {"yes": "status-ok", "no": "status-bad"}.get(verdict, "status-warn"),
        )
    )
    for label, metric in (
        ("Churn eta\u00b2", "churn_eta_squared"),
        ("Spend eta\u00b2", "spend_eta_squared"),
    ):
        ours, grid = figures.get(("segments", metric)), figures.get(("rfm_grid", metric))
        ratio = (
            f"{float(ours) / float(grid):.2f}\u00d7 the RFM grid ({_format_number(grid, 3)})"
            if not _is_missing(ours) and not _is_missing(grid) and float(grid) > 0
            else "RFM grid: " + _format_number(grid, 3)
        )
        body.kpis.append(Kpi(f"{label}, segments", _format_number(ours, 3), ratio))

    methods = [m for m in VALIDATION_METHODS if any(key[0] == m for key in figures)]
    panels = [
        ("Churn: share of variance explained", "churn_eta_squared"),
        ("Spend: share of variance explained", "spend_eta_squared"),
    ]
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=[title for title, _ in panels], horizontal_spacing=0.08
    )
    for index, (_, metric) in enumerate(panels, start=1):
        labels = [
            f"{VALIDATION_METHODS[m][0]}<br>({int(groups[m])} groups)"
            if not _is_missing(groups.get(m))
            else VALIDATION_METHODS[m][0]
            for m in methods
        ]
        raw = [figures.get((m, metric)) for m in methods]
        values = _rounded(raw, 4)
        figure.add_trace(
            go.Bar(
                x=labels,
                y=values,
                marker={"color": [VALIDATION_METHODS[m][1] for m in methods]},
                text=[_format_number(v, 3) for v in raw],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{x}<br>eta\u00b2 %{y:.3f}<extra></extra>",
            ),
            row=1,
            col=index,
        )
        top = max([v for v in values if v is not None] or [0.0])
        figure.update_yaxes(range=[0, max(top * 1.2, 0.05)], tickformat=".2f", row=1, col=index)
    _style(
        figure,
        height=380,
        showlegend=False,
        bargap=0.35,
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
    )
    figure.update_annotations(font={"size": 13})
    body.charts.append(Chart("eta", "", figure))

    header = ("Grouping", "Groups", *(label for label, _, _ in VALIDATION_COLUMNS))
    rows = []
    for method in methods:
        cells = [
            Cell(VALIDATION_METHODS[method][0]),
            Cell(_format_count(groups.get(method)), "num"),
        ]
        for _, metric, formatter in VALIDATION_COLUMNS:
            value = figures.get((method, metric))
            cells.append(Cell(formatter(value), "missing" if _is_missing(value) else "num"))
        rows.append(tuple(cells))
    window = ""
    if not _is_missing(first.get("validation_cutoff_date")):
        cutoff = pd.Timestamp(first["validation_cutoff_date"]).date()
        window = (
            f"Segments fitted on the features of {cutoff}"
            f" and judged on what {_format_count(first.get('customers'))} customers did in the "
            f"{_format_count(first.get('horizon_days'))} days after it (up to "
            f"{pd.Timestamp(first['outcome_end_date']).date()})."
        )
    body.tables.append(Table(header, tuple(rows), caption=window))
    if not _is_missing(first.get("verdict")):
        verdict_text = str(first["verdict"])
        body.notes.append(verdict_text[:1].upper() + verdict_text[1:] + ".")
    return body


def _scores(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.customer_scores"
    segments_table = "marts.customer_segments"
    _require(warehouse.why_not(table, ("customer_id",)))
    _require(warehouse.why_not(segments_table, ("customer_id", "segment_id")))
    columns = warehouse.columns(table)
    has_churn = "churn_probability" in columns
    has_value = "expected_value_next_period" in columns
    if not (has_churn or has_value):
        raise NotBuiltError(f"{table} has no churn_probability or expected_value_next_period")
    aggregates = ["count(*) as customers"]
    if has_churn:
        aggregates += [
            "avg(scores.churn_probability) as mean_churn_probability",
            "avg(case when scores.churn_probability >= 0.5 then 1.0 else 0.0 end) "
            "as share_likely_to_churn",
        ]
    if has_value:
        aggregates += [
            "sum(scores.expected_value_next_period) as expected_value",
            "avg(scores.expected_value_next_period) as mean_expected_value",
        ]
    frame = warehouse.query(
        f"select segments.segment_id, {', '.join(aggregates)} "
        f"from {quote(table)} as scores inner join {quote(segments_table)} as segments "
        "on scores.customer_id = segments.customer_id "
        "group by segments.segment_id order by segments.segment_id"
    )
    if frame.empty:
        raise NotBuiltError(f"no customer of {table} is in {segments_table}")
    ids = list(frame["segment_id"])
    labels = [context.tick_label(sid, 34) for sid in ids]
    colours = [context.colour(sid) for sid in ids]
    panels = []
    if has_churn:
        panels.append(("Mean churn probability", "mean_churn_probability", _format_share, ".0%"))
    if has_value:
        panels.append(("Expected value next period (total)", "expected_value", context.money, ""))
    figure = make_subplots(
        rows=1,
        cols=len(panels),
        shared_yaxes=True,
        subplot_titles=[title for title, *_ in panels],
        horizontal_spacing=0.06,
    )
    for index, (title, column, formatter, tick_format) in enumerate(panels, start=1):
        figure.add_trace(
            go.Bar(
                y=labels,
                x=_rounded(frame[column]),
                orientation="h",
                marker={"color": colours},
                text=[formatter(v) for v in frame[column]],
                textposition="outside",
                cliponaxis=False,
                name=title,
                hovertemplate=f"%{{y}}<br>{title}: %{{text}}<extra></extra>",
            ),
            row=1,
            col=index,
        )
        if tick_format == ".0%":
            # A probability axis ends at 100%; labels that would not fit outside go inside.
            figure.update_traces(textposition="auto", row=1, col=index)
            figure.update_xaxes(tickformat=tick_format, range=[0, 1], dtick=0.25, row=1, col=index)
            continue
        values = [float(v) for v in frame[column] if not _is_missing(v)] or [0.0]
        # Headroom for the outside labels, which plotly would otherwise cut at the edge.
        low, high = min(0.0, min(values)), max(0.0, max(values))
        figure.update_xaxes(
            tickformat=tick_format, range=[low * 1.25, high * 1.25 or 1], row=1, col=index
        )
    figure.update_yaxes(autorange="reversed", showgrid=False)
    _style(
        figure,
        height=120 + 48 * len(ids),
        showlegend=False,
        bargap=0.3,
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
    )
    header = ["Segment", "Scored customers"]
    if has_churn:
        header += ["Mean churn probability", "Likely to churn (p \u2265 0.5)"]
    if has_value:
        header += ["Expected value, total", "Expected value per customer"]
    rows = []
    for row in frame.to_dict("records"):
        cells = [
            Cell(context.label(row["segment_id"])),
            Cell(_format_count(row["customers"]), "num"),
        ]
        if has_churn:
            cells += [
                Cell(_format_share(row["mean_churn_probability"]), "num"),
                Cell(_format_share(row["share_likely_to_churn"]), "num"),
            ]
        if has_value:
            cells += [
                Cell(context.money(row["expected_value"]), "num"),
                Cell(context.money(row["mean_expected_value"]), "num"),
            ]
        rows.append(tuple(cells))
    result = Body(
        sources=[table, segments_table],
        charts=[Chart("bars", "", figure)],
        tables=[Table(tuple(header), tuple(rows))],
    )
    if "score_method" in columns:
        result.kpis = _score_method_kpis(warehouse, table)
    _add_calibration(warehouse, result)
    return result


# How the report names the methods of customer_scores and prediction_evaluation.
SCORE_METHOD_LABELS = {
    "supervised": "Supervised model",
    "bgnbd": "Purchase model (BG/NBD family)",
    "recency": "Baseline: recency",
    "rfm": "Baseline: RFM score",
}
SCORE_METHOD_COLOURS = {
    "supervised": "#1f77b4",
    "bgnbd": "#d62728",
    "recency": "#9b9b9b",
    "rfm": "#7f7f7f",
}


def _score_method_kpis(warehouse: Warehouse, table: str) -> list[Kpi]:
    """Which method scored how many customers, and how many are not scored (with why)."""
    counts = warehouse.query(
        f"select score_method, score_status, count(*) as customers from {quote(table)} "
        "group by score_method, score_status order by score_method, score_status"
    )
    total = int(counts["customers"].sum())
    kpis = []
    for method in ("supervised", "bgnbd"):
        scored = int(counts.loc[counts["score_method"] == method, "customers"].sum())
        if scored:
            kpis.append(
                Kpi(
                    f"Scored by the {SCORE_METHOD_LABELS[method][0].lower()}"
                    f"{SCORE_METHOD_LABELS[method][1:]}",
                    _format_count(scored),
                    f"{_format_share(scored / total)} of {_format_count(total)} customers",
                )
            )
    unscored = counts[counts["score_method"].isna()]
    if len(unscored):
        reasons = ", ".join(sorted({str(value) for value in unscored["score_status"]}))
        kpis.append(
            Kpi(
                "Not scored", _format_count(int(unscored["customers"].sum())), reasons, "status-bad"
            )
        )
    return kpis


def _add_calibration(warehouse: Warehouse, body: Body) -> None:
    """The hold-out's calibration curves (marts.prediction_calibration) and metrics
    (marts.prediction_evaluation), or a note saying why there are none."""
    calibration_table = "marts.prediction_calibration"
    evaluation_table = "marts.prediction_evaluation"
    required = ("method", "decile", "mean_predicted_churn", "observed_churn_rate")
    if warehouse.why_not(evaluation_table, ("method", "metric", "value")) is None:
        body.sources.append(evaluation_table)
        evaluation = warehouse.query(f"select * from {quote(evaluation_table)}")
        if evaluation["value"].notna().any():
            body.tables.append(_evaluation_table(evaluation))
        elif "status_reason" in evaluation.columns:
            reason = evaluation["status_reason"].dropna()
            if len(reason):
                body.notes.append(f"No time hold-out: {reason.iloc[0]}")
    if warehouse.why_not(calibration_table, required) is not None:
        return
    curves = warehouse.query(
        f"select method, decile, mean_predicted_churn, observed_churn_rate"
        f"{', customers' if 'customers' in warehouse.columns(calibration_table) else ''} "
        f"from {quote(calibration_table)} order by method, decile"
    )
    if curves.empty:
        return
    body.sources.append(calibration_table)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"color": "#cccccc", "dash": "dash"},
            name="Perfectly calibrated",
            hoverinfo="skip",
        )
    )
    methods = [m for m in SCORE_METHOD_LABELS if m in set(curves["method"])]
    methods += sorted(set(curves["method"]) - set(methods))
    for method in methods:
        curve = curves[curves["method"] == method]
        figure.add_trace(
            go.Scatter(
                x=_rounded(curve["mean_predicted_churn"]),
                y=_rounded(curve["observed_churn_rate"]),
                mode="lines+markers",
                name=SCORE_METHOD_LABELS.get(method, method),
                line={
                    "color": SCORE_METHOD_COLOURS.get(method, "#444444"),
                    "width": 3 if method in ("supervised", "bgnbd") else 1.5,
                },
                # Baselines are drawn but hidden until clicked in the legend.
                visible=True if method in ("supervised", "bgnbd") else "legendonly",
                text=[f"decile {int(d)}" for d in curve["decile"]],
                hovertemplate="%{text}<br>predicted %{x:.0%}<br>observed %{y:.0%}<extra></extra>",
            )
        )
    figure.update_xaxes(title_text="Mean predicted churn probability (decile)", range=[0, 1])
    figure.update_yaxes(title_text="Observed churn rate", range=[0, 1])
    _style(figure, height=420, margin={"l": 60, "r": 20, "t": 30, "b": 50})
    body.charts.append(
        Chart(
            "calibration",
            "Calibration on the time hold-out",
            figure,
            "Hold-out customers in ten groups by predicted churn probability, per method: the "
            "mean prediction against the share that did not buy. On the diagonal, a predicted "
            "70% means 7 in 10 such customers churned. Baselines: click them in the legend.",
        )
    )


def _evaluation_table(evaluation: pd.DataFrame) -> Table:
    """Every method's metrics on the time hold-out (rows: methods, columns: metrics)."""
    metrics = [("auc", "AUC"), ("brier", "Brier"), ("mae", "MAE"), ("spearman", "Spearman")]
    values = evaluation.pivot_table(index="method", columns="metric", values="value")
    rows = []
    for method in [m for m in SCORE_METHOD_LABELS if m in values.index]:
        cells = [Cell(SCORE_METHOD_LABELS[method])]
        for metric, _ in metrics:
            value = values.loc[method, metric] if metric in values.columns else None
            cells.append(Cell(_format_number(value, 3), "num"))
        rows.append(tuple(cells))
    caption = (
        "Time hold-out: fitted one horizon before the last and scored on what customers did "
        "since. AUC and Spearman: higher is better; Brier and MAE: lower is better."
    )
    return Table(("Method", *[label for _, label in metrics]), tuple(rows), caption)


def _migration(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_migration"
    _require(warehouse.why_not(table, ("from_segment_id", "to_segment_id", "customers")))
    columns = warehouse.columns(table)
    where = ""
    notes = []
    period = _first_column(columns, PERIOD_COLUMNS)
    if period:
        # Several periods stacked in one table: show the latest transition only.
        where = f'where "{period}" = (select max("{period}") from {quote(table)})'
        latest = warehouse.query(f'select max("{period}") as latest from {quote(table)}')
        notes.append(f"Latest period only: {period} = {_format_cell(latest['latest'][0]).text}.")
    frame = warehouse.query(
        "select from_segment_id, to_segment_id, sum(customers) as customers "
        f"from {quote(table)} {where} group by all order by all"
    )
    from_ids = sorted({_python_value(v) for v in frame["from_segment_id"]}, key=_none_last)
    to_ids = sorted({_python_value(v) for v in frame["to_segment_id"]}, key=_none_last)
    counts = {
        (_python_value(row.from_segment_id), _python_value(row.to_segment_id)): int(row.customers)
        for row in frame.itertuples(index=False)
    }
    z, text, phrases = [], [], []
    for source in from_ids:
        row_total = sum(counts.get((source, target), 0) for target in to_ids)
        z.append(
            [
                round(counts.get((source, target), 0) / row_total, 6) if row_total else None
                for target in to_ids
            ]
        )
        text.append([_format_count(counts.get((source, target), 0)) for target in to_ids])
        phrases.append([_count_phrase(counts.get((source, target), 0)) for target in to_ids])

    def axis_label(sid: Any, empty: str, width: int) -> str:
        return empty if sid is None else context.tick_label(sid, width)

    # Column labels share the page width between every segment: wrapped narrower than rows.
    column_width = max(8, min(26, 110 // max(1, len(to_ids))))

    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[axis_label(sid, "not segmented now", column_width) for sid in to_ids],
            y=[axis_label(sid, "new customers", 26) for sid in from_ids],
            text=text,
            customdata=phrases,
            texttemplate="%{text}",
            textfont={"size": 12},
            zmin=0,
            zmax=1,
            colorscale=[[0, "#F7FBFF"], [0.5, "#6BAED6"], [1, "#08306B"]],
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": "share of row", "side": "right"}, "tickformat": ".0%"},
            hovertemplate="from %{y}<br>to %{x}<br>%{customdata} (%{z:.0%} of row)<extra></extra>",
        )
    )
    figure.update_xaxes(title={"text": "to segment (current run)"}, side="top", tickangle=0)
    figure.update_yaxes(title={"text": "from segment (previous run)"}, autorange="reversed")
    _style(
        figure,
        height=180 + 44 * len(from_ids),
        margin={"l": 10, "r": 10, "t": 90, "b": 10},
    )
    return Body(sources=[table], charts=[Chart("heatmap", "", figure)], notes=notes)


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


MONITORING_COLUMNS = (
    ("as_of_date", "Run date"),
    ("status", "Status"),
    ("reason", "Why"),
    ("model_decision", "Model"),
    ("max_feature_psi", "Largest drift (PSI)"),
    ("max_segment_share_shift", "Largest share shift"),
    ("model_age_days", "Model age"),
)
MODEL_DECISION_LABELS = {
    "first_fit": "first fit",
    "keep": "kept",
    "refit": "refitted",
}


def _monitoring(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_monitoring"
    _require(warehouse.why_not(table, ("as_of_date", "status", "reason")))
    available = set(warehouse.columns(table))
    selected = [(column, label) for column, label in MONITORING_COLUMNS if column in available]
    extra = [column for column in ("max_psi_feature", "decision_reason") if column in available]
    frame = warehouse.query(
        f"select {', '.join(c for c, _ in selected + [(e, e) for e in extra])} "
        f"from {quote(table)} order by as_of_date desc"
    )
    body = Body(sources=[table])
    latest = frame.iloc[0]
    body.kpis.append(
        Kpi(
            "Latest run",
            str(latest["status"]),
            f"{_python_value(latest['as_of_date'])}: {latest['reason']}",
            _status_class(str(latest["status"])),
        )
    )
    counts = frame["status"].astype(str).value_counts()
    for value in sorted(counts.index, key=lambda v: (-STATUS_SEVERITY.get(v.lower(), 0), v)):
        body.kpis.append(
            Kpi(
                value,
                f"{counts[value]:,}",
                "run" if counts[value] == 1 else "runs",
                _status_class(value),
            )
        )
    shown = frame.head(MONITORING_ROW_LIMIT)
    if len(frame) > len(shown):
        body.notes.append(f"Showing the latest {len(shown)} of {len(frame):,} run dates.")
    rows = []
    for record in shown.to_dict("records"):
        cells = []
        for column, _ in selected:
            value = _python_value(record[column])
            if column == "status":
                cells.append(Cell(str(value), _status_class(str(value))))
            elif column == "reason":
                cells.append(Cell(str(value), "text"))
            elif column == "model_decision":
                text = MODEL_DECISION_LABELS.get(
                    str(value), "\u2014" if value is None else str(value)
                )
                cells.append(Cell(text, "text", record.get("decision_reason") or ""))
            elif column == "max_feature_psi":
                feature = record.get("max_psi_feature")
                text = _format_number(value, 3)
                if value and feature:
                    text = f"{text} ({_feature_label(str(feature))})"
                cells.append(Cell(text, "num" if value is not None else "missing"))
            elif column == "max_segment_share_shift":
                cells.append(Cell(_format_share(value), "num"))
            elif column == "model_age_days":
                cells.append(Cell(_format_days(value), "num"))
            else:
                cells.append(_format_cell(value))
        rows.append(tuple(cells))
    body.tables.append(Table(tuple(label for _, label in selected), tuple(rows)))
    return body


def _status_class(value: str) -> str:
    level = STATUS_SEVERITY.get(str(value).strip().lower(), 0)
    return {3: "status-bad", 2: "status-warn", 1: "status-ok"}.get(level, "status-unknown")


def _fairness(warehouse: Warehouse, context: ReportContext) -> Body:
    mart = "marts.segment_fairness"
    mart_reason = warehouse.why_not(mart, ("segment_id",))
    if mart_reason is None:
        frame = _normalised_fairness(warehouse.query(f"select * from {quote(mart)} order by all"))
        if frame is None:
            # A shape this report does not know: still show it, as a table.
            raw = warehouse.query(f"select * from {quote(mart)} order by all")
            rows = tuple(tuple(_format_cell(v) for v in r) for r in raw.itertuples(index=False))
            return Body(
                sources=[mart],
                tables=[Table(tuple(raw.columns), rows)],
                notes=[f"{mart} is not in long form (attribute, group, customers): shown as is."],
            )
        sources = [mart]
    else:
        features = "intermediate.int_customer_features"
        segments_table = "marts.customer_segments"
        _require(warehouse.why_not(segments_table, ("customer_id", "segment_id")))
        _require(warehouse.why_not(features, ("customer_id",)))
        attributes = [a for a in ("gender", "age_band") if a in warehouse.columns(features)]
        if not attributes:
            raise NotBuiltError(f"{mart_reason}; {features} has no gender or age_band")
        parts = [
            f"select segments.segment_id, '{attribute}' as attribute, "
            f"coalesce(cast(features.\"{attribute}\" as varchar), 'unknown') as group_value, "
            "count(*) as customers "
            f"from {quote(segments_table)} as segments inner join {quote(features)} as features "
            "on segments.customer_id = features.customer_id group by all"
            for attribute in attributes
        ]
        frame = warehouse.query(" union all ".join(parts) + " order by all")
        sources = [features, segments_table]
    charts = []
    hidden = []
    for attribute in sorted(frame["attribute"].unique(), key=_attribute_order):
        part = frame[frame["attribute"] == attribute]
        if set(part["group_value"].str.lower()) <= {"unknown"}:
            hidden.append(attribute)
            continue
        charts.append(_fairness_chart(attribute, part, context))
    if not charts:
        raise NotBuiltError(
            f"{' and '.join(a.replace('_', ' ') for a in hidden)} unknown for every customer"
        )
    notes = [f"{a.replace('_', ' ')} not shown: unknown for every customer." for a in hidden]
    return Body(sources=sources, charts=charts, notes=notes)


def _reviews(warehouse: Warehouse, context: ReportContext) -> Body:
    """Sentiment by segment (segment_profiles) and the topics of the reviews (review_topics)."""
    profiles = "marts.segment_profiles"
    topics_table = "marts.review_topics"
    _require(warehouse.why_not(profiles, ("segment_id", "feature", "segment_mean")))
    frame = warehouse.query(
        f"select segment_id, feature, segment_mean from {quote(profiles)} "
        "where feature in ('review_sentiment_mean', 'review_negative_share') "
        "or feature like 'review_topic_%_share' order by segment_id, feature"
    )
    sentiment = frame[frame["feature"] == "review_sentiment_mean"]
    if sentiment.empty or sentiment["segment_mean"].isna().all():
        raise NotBuiltError(
            f"{profiles} has no review sentiment (no reviews with English text, or a build "
            "without review text features)"
        )
    body = Body(sources=[profiles])
    wide = frame.pivot(index="segment_id", columns="feature", values="segment_mean")
    segment_ids = sorted(int(value) for value in wide.index)
    topic_words: dict[int, str] = {}
    if warehouse.why_not(topics_table, ("topic_id", "word", "word_rank")) is None:
        body.sources.append(topics_table)
        topics = warehouse.query(
            f"select topic_id, word_rank, word, reviews, share_of_reviews from "
            f"{quote(topics_table)} order by topic_id, word_rank"
        )
        rows = []
        for topic_id, part in topics.groupby("topic_id", sort=True):
            words = ", ".join(str(word) for word in part["word"].head(6))
            topic_words[int(topic_id)] = ", ".join(str(word) for word in part["word"].head(3))
            first = part.iloc[0]
            rows.append(
                (
                    Cell(str(int(topic_id)), "num"),
                    Cell(words, "text"),
                    Cell(_format_count(first["reviews"]), "num"),
                    Cell(_format_share(first["share_of_reviews"]), "num"),
                )
            )
        body.tables.append(
            Table(
                ("Topic", "Top words", "Reviews", "Share of reviews"),
                tuple(rows),
                "Topics found in the English reviews before as_of_date (TF-IDF + NMF).",
            )
        )
        selection = "marts.review_topic_selection"
        if warehouse.why_not(selection, ("k", "stability", "is_chosen")) is None:
            body.sources.append(selection)
            chosen = warehouse.query(f"select k, stability from {quote(selection)} where is_chosen")
            tried = warehouse.query(
                f"select min(k) as k_min, max(k) as k_max from {quote(selection)}"
            )
            if not chosen.empty:
                body.kpis.append(
                    Kpi(
                        "Topics",
                        str(int(chosen["k"].iloc[0])),
                        f"the most stable k of {int(tried['k_min'].iloc[0])}-"
                        f"{int(tried['k_max'].iloc[0])} "
                        f"(stability {_format_number(chosen['stability'].iloc[0])})",
                    )
                )
    else:
        body.notes.append(
            "No review topics: too few English reviews to fit a topic model, or none were built."
        )
    topic_columns = sorted(
        (c for c in wide.columns if c.startswith("review_topic_")),
        key=lambda c: int(c.split("_")[2]),
    )
    rows = []
    for sid in segment_ids:
        cells = [
            Cell(context.label(sid), "text"),
            _format_cell(_rounded([wide.at[sid, "review_sentiment_mean"]], 3)[0]),
            Cell(_format_share(wide.get("review_negative_share", {}).get(sid)), "num"),
        ]
        if topic_columns:
            shares = wide.loc[sid, topic_columns].astype(float)
            if shares.notna().any():
                top = shares.idxmax()
                topic_id = int(top.split("_")[2])
                label = topic_words.get(topic_id, f"topic {topic_id}")
                cells.append(Cell(f"{label} ({_format_share(shares[top])})", "text"))
            else:
                cells.append(Cell("\u2014", "missing"))
        rows.append(tuple(cells))
    columns = ["Segment", "Mean sentiment", "Negative reviews"]
    if topic_columns:
        columns.append("Most written-about topic")
    body.tables.insert(
        0,
        Table(
            tuple(columns),
            tuple(rows),
            "Means over the segment's customers with English reviews; sentiment from -1 (most "
            "negative) to +1.",
        ),
    )
    figure = go.Figure(
        go.Bar(
            x=[context.tick_label(sid, 16) for sid in segment_ids],
            y=_rounded([wide.at[sid, "review_sentiment_mean"] for sid in segment_ids], 4),
            marker={"color": [context.colour(sid) for sid in segment_ids]},
            hovertemplate="%{x}<br>mean sentiment %{y:.2f}<extra></extra>",
        )
    )
    figure.update_yaxes(title_text="mean sentiment", range=[-1, 1], zeroline=True)
    _style(figure, height=320)
    body.charts.append(Chart("sentiment", "Mean review sentiment by segment", figure))
    return body


RISK_BANDS = ("none", "watch", "review")


def _risk(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_risk"
    _require(warehouse.why_not(table, ("segment_id", "risk_band", "customers")))
    frame = warehouse.query(
        f"select segment_id, risk_band, sum(customers) as customers from {quote(table)} "
        "group by all order by all"
    )
    counts = frame.pivot_table(
        index="segment_id", columns="risk_band", values="customers", aggfunc="sum", fill_value=0
    ).reindex(columns=list(RISK_BANDS), fill_value=0)
    totals = counts.sum()
    everyone = int(totals.sum())
    body = Body(sources=[table])
    for band, label in (("review", "Manual review"), ("watch", "Watch")):
        share = totals[band] / everyone if everyone else None
        body.kpis.append(
            Kpi(label, f"{int(totals[band]):,}", f"{_format_share(share)} of segmented customers")
        )
    rows = []
    for segment_id, row in counts.iterrows():
        size = int(row.sum())
        rows.append(
            (
                Cell(context.label(_python_value(segment_id)), "text"),
                *(Cell(f"{int(row[band]):,}", "num") for band in RISK_BANDS),
                Cell(_format_share(row["review"] / size if size else None), "num"),
            )
        )
    body.tables.append(
        Table(("Segment", "None", "Watch", "Review", "Share in review"), tuple(rows))
    )
    return body


def _attribute_order(attribute: str) -> tuple[int, str]:
    order = {"gender": 0, "age_band": 1}
    return (order.get(attribute, 2), attribute)


def _normalised_fairness(frame: pd.DataFrame) -> pd.DataFrame | None:
    """marts.segment_fairness as (segment_id, attribute, group_value, customers), if possible."""
    columns = list(frame.columns)
    attribute = _first_column(columns, FAIRNESS_ATTRIBUTE_COLUMNS)
    group = _first_column(columns, FAIRNESS_GROUP_COLUMNS)
    count = _first_column(columns, FAIRNESS_COUNT_COLUMNS)
    if attribute and group and count:
        result = frame[["segment_id", attribute, group, count]].copy()
        result.columns = ["segment_id", "attribute", "group_value", "customers"]
    else:
        # Wide form: one row per segment and group with gender / age_band columns.
        wide = [a for a in ("gender", "age_band") if a in columns]
        if not (wide and count):
            return None
        result = pd.concat(
            [
                frame.groupby(["segment_id", a], dropna=False)[count]
                .sum()
                .reset_index()
                .rename(columns={a: "group_value", count: "customers"})
                .assign(attribute=a)
                for a in wide
            ],
            ignore_index=True,
        )
    result["group_value"] = result["group_value"].fillna("unknown").astype(str)
    result["attribute"] = result["attribute"].astype(str)
    return result.groupby(["segment_id", "attribute", "group_value"], as_index=False, sort=True)[
        "customers"
    ].sum()


def _fairness_chart(attribute: str, frame: pd.DataFrame, context: ReportContext) -> Chart:
    groups = sorted(frame["group_value"].unique(), key=lambda g: _group_order(attribute, g))
    segment_ids = sorted(int(v) for v in frame["segment_id"].unique())
    table = frame.pivot_table(
        index="segment_id", columns="group_value", values="customers", aggfunc="sum", fill_value=0
    ).reindex(index=segment_ids, columns=groups, fill_value=0)
    overall = table.sum(axis=0)
    rows = [("All customers", overall)] + [
        (context.tick_label(sid, 34), table.loc[sid]) for sid in segment_ids
    ]
    figure = go.Figure()
    known = [g for g in groups if g.lower() != "unknown"]
    for group in groups:
        colour = (
            UNKNOWN_GROUP_COLOUR
            if group.lower() == "unknown"
            else GROUP_COLOURS[known.index(group) % len(GROUP_COLOURS)]
        )
        shares = [row[group] / row.sum() if row.sum() else 0 for _, row in rows]
        figure.add_trace(
            go.Bar(
                y=[label for label, _ in rows],
                x=_rounded(shares),
                orientation="h",
                name=_group_label(group),
                marker={"color": colour},
                text=[f"{100 * s:.0f}%" if s >= 0.06 else "" for s in shares],
                textposition="inside",
                insidetextanchor="middle",
                customdata=[_count_phrase(row[group]) for _, row in rows],
                hovertemplate="%{y}<br>"
                + _group_label(group)
                + ": %{x:.1%} (%{customdata})<extra></extra>",
            )
        )
    figure.update_xaxes(tickformat=".0%", range=[0, 1])
    figure.update_yaxes(autorange="reversed", showgrid=False)
    _style(figure, height=130 + 40 * len(rows), barmode="stack", bargap=0.25)
    figure.update_layout(legend={"traceorder": "normal"})
    return Chart(attribute, f"By {attribute.replace('_', ' ')}", figure)


def _group_label(group: str) -> str:
    """'25_34' -> '25-34', '65_plus' -> '65+', 'non_binary' -> 'non-binary'."""
    if group.endswith("_plus"):
        return group[: -len("_plus")] + "+"
    first, _, second = group.partition("_")
    if _number(first) is not None and _number(second) is not None:
        return f"{first}\u2013{second}"
    return group.replace("_", " " if group.startswith("under_") else "-")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _band_start(group: str) -> float | None:
    """Where a band of a numeric attribute starts ('under_25000', '25000_50000',
    '100000_plus', as the pipeline names them), or None for any other value."""
    if group.startswith("under_") and _number(group[len("under_") :]) is not None:
        return -math.inf
    first, _, second = group.partition("_")
    if _number(first) is not None and (second == "plus" or _number(second) is not None):
        return _number(first)
    return None


def _group_order(attribute: str, group: str) -> tuple[int, float, str]:
    if group.lower() == "unknown":
        return (2, 0, group)
    if attribute == "age_band" and group in AGE_BAND_ORDER:
        return (0, AGE_BAND_ORDER.index(group), group)
    # Bands of a numeric attribute in numeric order, not alphabetical ('100000_plus' last).
    start = _band_start(group)
    if start is not None:
        return (0, start, group)
    return (1, 0, group)


@dataclass(frozen=True)
class SectionSpec:
    """A section of the page: where it goes, its title, how to read it and its builder."""

    key: str
    title: str
    lead: str
    build: Callable[[Warehouse, ReportContext], Body]


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("headline", "At a glance", "", _headline),
    SectionSpec(
        "sizes",
        "Segment sizes and revenue",
        "How customers and net revenue split across the segments. Hatched bars: revenue.",
        _sizes,
    ),
    SectionSpec(
        "profiles",
        "What sets each segment apart",
        "Each cell is the segment's mean minus the mean of all customers, in standard deviations "
        "(z-score). Red: higher than the average customer, blue: lower. Colours saturate at "
        "\u00b13; bold marks each segment's three most distinguishing features.",
        _profiles,
    ),
    SectionSpec(
        "segments",
        "The segments",
        "Who is in each segment, what they are worth, and what to do about them. Recency, "
        "orders and net spend are segment means, with the median below.",
        _segments,
    ),
    SectionSpec(
        "projection",
        "Segment map",
        "Customers projected from the model's scaled feature space onto its two principal "
        "components. Well separated colours mean well separated segments; \u00d7 marks each "
        "segment's centre.",
        _projection,
    ),
    SectionSpec(
        "k_selection",
        "Choosing the number of segments",
        "The scores of every number of segments tried; the star marks the chosen k.",
        _k_selection,
    ),
    SectionSpec(
        "validation",
        "Do the segments predict?",
        "The segmentation is refitted on the customers' features one horizon back and judged on "
        "what they did next, beside the classic 11-label RFM grid and recency quartiles on the "
        "same customers. eta\u00b2 is the share of the variance of next-period churn (no "
        "purchase) and net spend that the groups explain: higher means groups that behave more "
        "differently. The lifts compare the best and worst group with all customers.",
        _validation,
    ),
    SectionSpec(
        "scores",
        "Churn risk and expected value",
        "Predicted churn probability and expected value next period, by segment; which method "
        "scored the customers, and how well each method's probabilities matched what happened on "
        "a time hold-out.",
        _scores,
    ),
    SectionSpec(
        "migration",
        "Segment migration",
        "Where the customers of each previous segment are now. Numbers are customers; colour is "
        "the share of the row.",
        _migration,
    ),
    SectionSpec(
        "monitoring",
        "Monitoring",
        "Health checks and drift of the segmentation since it was fitted.",
        _monitoring,
    ),
    SectionSpec(
        "fairness",
        "Fairness view",
        "Segment mix by sensitive attributes, which the model does not use: a segment far from "
        "the 'All customers' mix deserves a second look before it drives targeting.",
        _fairness,
    ),
    SectionSpec(
        "reviews",
        "What customers say in their reviews",
        "Sentiment of the review text (VADER, English reviews only) and the topics the shop's "
        "reviews are about, by segment. Only scores, topic ids and topic words are stored, "
        "never the text.",
        _reviews,
    ),
    SectionSpec(
        "risk",
        "Return and refund risk",
        "Customers by risk band of marts.customer_risk: review when at least two return signals "
        "(return rate, refund rate, refunds soon after a purchase) stand out from the shop, "
        "watch when one signal does (or heavy discounts). Review means a manual check before "
        "the next refund and no promotions meanwhile (playbook rule refund_review).",
        _risk,
    ),
)


# --- the page -----------------------------------------------------------------------------------


def build_sections(
    warehouse: Warehouse, context: ReportContext, progress: Progress | None = None
) -> list[Section]:
    """Build every section, reporting each step and its duration to `progress`."""
    say = progress or (lambda message: None)
    sections = []
    for index, spec in enumerate(SECTIONS, start=1):
        say(f"[{index}/{len(SECTIONS)}] {spec.title}")
        started = time.perf_counter()
        try:
            section = Section(spec.key, spec.title, spec.lead, spec.build(warehouse, context))
        except NotBuiltError as not_built:
            section = Section(spec.key, spec.title, spec.lead, None, str(not_built))
        elapsed = time.perf_counter() - started
        outcome = "built" if section.is_built else f"not built: {section.reason}"
        say(f"    {outcome} ({elapsed:.2f} s)")
        sections.append(section)
    return sections


def render_html(sections: Sequence[Section], context: ReportContext, database_name: str) -> str:
    """The page: sections, their charts as JSON specs, inline plotly.js and CSS."""
    plotly_js = get_plotlyjs()
    if "</script" in plotly_js.lower():
        raise RuntimeError("the plotly.js bundle contains '</script' and cannot be inlined")
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("customer_segmentation", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    charts = []
    for section in sections:
        for chart in section.body.charts if section.body else ():
            element_id = f"chart-{section.key}-{chart.key}"
            charts.append(
                {
                    "section": section.key,
                    "chart": chart,
                    "element_id": element_id,
                    "spec_id": f"{element_id}-spec",
                    "spec_json": Markup(_figure_json(chart.figure)),
                }
            )
    model = context.model or {}
    subtitle = []
    if model.get("model_id"):
        subtitle.append(f"model {model['model_id']}")
    if model.get("as_of_date"):
        subtitle.append(f"as of {model['as_of_date']}")
    return environment.get_template(TEMPLATE_NAME).render(
        title="Customer segments",
        subtitle=" \u00b7 ".join(subtitle),
        sections=sections,
        charts=charts,
        charts_by_section={
            key: [c for c in charts if c["section"] == key] for key in (s.key for s in sections)
        },
        database_name=database_name,
        plotly_js=Markup(plotly_js),
        plotly_version=_plotly_js_version(plotly_js),
        plotly_config=Markup(json.dumps(PLOTLY_CONFIG, sort_keys=True)),
    )


def _plotly_js_version(plotly_js: str) -> str:
    marker = "plotly.js v"
    start = plotly_js.find(marker)
    if start < 0:
        return "unknown"
    end = start + len(marker)
    while end < len(plotly_js) and (plotly_js[end].isdigit() or plotly_js[end] == "."):
        end += 1
    return plotly_js[start + len(marker) : end]


def read_sections(
    database_path: str | Path,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> tuple[ReportContext, list[Section]]:
    """Every section of the report of a built warehouse (opened read-only, then closed)."""
    with duckdb.connect(str(database_path), read_only=True) as connection:
        warehouse = Warehouse(connection)
        context = _load_context(warehouse, sample_size, seed)
        return context, build_sections(warehouse, context, progress)


def write_report(
    database_path: str | Path,
    output_path: str | Path,
    *,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
) -> Path:
    """Write the segment report of a built warehouse as one self-contained HTML file.

    Inputs: the DuckDB file dbt built (opened read-only, closed before writing) and the HTML path
    to write (parent folders are created). sample_size caps the customers of the 2-D map; seed is
    the seed of its projection. progress, when given, receives one message per step.
    Output: output_path. Raises FileNotFoundError when the database does not exist.
    """
    database_path = Path(database_path)
    output_path = Path(output_path)
    if sample_size < 3:
        raise ValueError(f"sample_size must be at least 3; got {sample_size}")
    if not database_path.is_file():
        raise FileNotFoundError(f"no warehouse at {database_path}: run a build first")
    say = progress or (lambda message: None)
    say(f"reading {database_path.name} (read-only)")
    context, sections = read_sections(database_path, sample_size, seed, progress)
    started = time.perf_counter()
    say("rendering the page")
    html = render_html(sections, context, database_path.name)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    output_path.write_text(html, encoding="utf-8")
    say(f"    written ({time.perf_counter() - started:.2f} s)")
    return output_path


def _default_database() -> Path:
    # Imported here: the CLI module imports this one to wire the `report` command.
    from customer_segmentation.cli import warehouse_path

    return warehouse_path()


def main(argv: list[str] | None = None) -> int:
    """Command line: write the segment report of a built warehouse."""
    parser = argparse.ArgumentParser(
        prog="customer-segmentation report",
        description="Write the segment report: one HTML file that opens offline.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help="DuckDB warehouse (default: $DBT_DUCKDB_PATH, else warehouse/customer_segmentation"
        ".duckdb)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="HTML file to write")
    parser.add_argument(
        "--sample-size",
        type=int,
        default=DEFAULT_SAMPLE_SIZE,
        help="customers shown on the segment map (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="projection seed")
    arguments = parser.parse_args(argv)
    database = arguments.database or _default_database()

    def say(message: str) -> None:
        print(message if message.startswith(" ") else f"==> {message}", flush=True)

    started = time.perf_counter()
    try:
        path = write_report(
            database,
            arguments.output,
            sample_size=arguments.sample_size,
            seed=arguments.seed,
            progress=say,
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except duckdb.IOException as error:
        # Typically a dbt build holding the write lock on the same file.
        print(f"error: cannot open {database} read-only: {error}", file=sys.stderr)
        return 2
    size = path.stat().st_size / 1e6
    say(f"wrote {path} ({size:.1f} MB) in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
