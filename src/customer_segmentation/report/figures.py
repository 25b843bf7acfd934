"""What a report section is made of (key figures, charts, tables, segment cards) and how it
looks: the colours, the number and money formats, and the one plotly style every chart shares."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from customer_segmentation.segmentation.naming import FEATURE_LABELS

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


# --- formatting ---------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def python_value(value: Any) -> Any:
    """numpy / pandas scalars as plain Python values (None for missing)."""
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    return value


def format_count(value: Any) -> str:
    return "\u2014" if is_missing(value) else f"{round(float(value)):,}"


def format_days(value: Any) -> str:
    return "\u2014" if is_missing(value) else f"{round(float(value)):,} d"


CURRENCY_SYMBOLS = {"EUR": "\u20ac", "GBP": "\u00a3", "USD": "$", "JPY": "\u00a5"}


def format_money(value: Any, currency: str | None = None) -> str:
    """'€12,345' for currencies with a symbol, '12,345 CHF' for others, '12,345' without one;
    '-€12' for negative amounts. Non-breaking spaces: an amount never wraps mid-number."""
    if is_missing(value):
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


def count_phrase(value: Any, noun: str = "customer") -> str:
    """'1 customer', '2,000 customers'."""
    if is_missing(value):
        return f"\u2014 {noun}s"
    number = round(float(value))
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def format_share(value: Any) -> str:
    return "\u2014" if is_missing(value) else f"{100 * float(value):.1f}%"


def format_number(value: Any, digits: int = 2) -> str:
    if is_missing(value):
        return "\u2014"
    number = float(value)
    if number.is_integer():
        return f"{number:,.0f}"
    return f"{number:,.{digits}f}"


def format_cell(value: Any) -> Cell:
    """A table cell for a value of any type: numbers right-aligned, missing as a dash."""
    value = python_value(value)
    if value is None:
        return Cell("\u2014", "missing")
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    if isinstance(value, int):
        return Cell(f"{value:,}", "num")
    if isinstance(value, float | Decimal):
        return Cell(format_number(value, 3), "num")
    if isinstance(value, datetime):
        return Cell(value.isoformat(sep=" ", timespec="seconds"))
    if isinstance(value, date):
        return Cell(value.isoformat())
    return Cell(str(value))


def rounded(values: Any, digits: int = 6) -> list[float | None]:
    """Plotted numbers rounded: same chart for float noise from parallel aggregation."""
    result: list[float | None] = []
    for value in values:
        if is_missing(value):
            result.append(None)
        else:
            number = float(value)
            result.append(float(f"{number:.{digits}g}") if math.isfinite(number) else None)
    return result


def feature_label(feature: str) -> str:
    return FEATURE_LABELS.get(feature, feature.replace("_", " "))


def _wrap(text: str, width: int) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


# --- plotly -------------------------------------------------------------------------------------


def style_figure(figure: go.Figure, height: int, **layout: Any) -> go.Figure:
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


def figure_json(figure: go.Figure) -> str:
    """The figure as JSON safe to embed in a <script> element.

    engine="json" because orjson, when installed, formats floats differently: the page must not
    depend on which optional packages are present. <, > and & are escaped as JSON unicode
    escapes so no string in a figure can close the script element.
    """
    text = pio.to_json(figure, validate=False, pretty=False, engine="json")
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
