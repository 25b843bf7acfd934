"""Segment report: one self-contained HTML page from the tables of a built warehouse.

    write_report(database_path, output_path) -> Path
    python -m customer_segmentation.report [--database PATH] [--output PATH]

The package splits the report by concern: data (reading the warehouse), figures (what a
section is made of and how it looks), segment_sections and outcome_sections (one builder per
section), page (this module: the sections in page order, the HTML) and command (the CLI).

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
(tests/unit/test_report_browser.py). Same warehouse, same bytes: nothing on the page depends on
the clock, the machine, the database's location or the order rows come back in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jinja2
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from customer_segmentation.report.data import (
    NotBuiltError,
    ReportContext,
    Warehouse,
    load_context,
)
from customer_segmentation.report.figures import (
    PLOTLY_CONFIG,
    Body,
    Section,
    figure_json,
)
from customer_segmentation.report.outcome_sections import (
    fairness_section,
    migration_section,
    monitoring_section,
    reviews_section,
    risk_section,
    scores_section,
)
from customer_segmentation.report.segment_sections import (
    headline_section,
    k_selection_section,
    profiles_section,
    projection_section,
    segments_section,
    sizes_section,
    validation_section,
)

DEFAULT_OUTPUT = Path("reports/segment_report.html")
DEFAULT_SAMPLE_SIZE = 5000
DEFAULT_SEED = 42
TEMPLATE_NAME = "segment_report.html.j2"


Progress = Callable[[str], None]


@dataclass(frozen=True)
class SectionSpec:
    """A section of the page: where it goes, its title, how to read it and its builder."""

    key: str
    title: str
    lead: str
    build: Callable[[Warehouse, ReportContext], Body]


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("headline", "At a glance", "", headline_section),
    SectionSpec(
        "sizes",
        "Segment sizes and revenue",
        "How customers and net revenue split across the segments. Hatched bars: revenue.",
        sizes_section,
    ),
    SectionSpec(
        "profiles",
        "What sets each segment apart",
        "Each cell is the segment's mean minus the mean of all customers, in standard deviations "
        "(z-score). Red: higher than the average customer, blue: lower. Colours saturate at "
        "\u00b13; bold marks each segment's three most distinguishing features.",
        profiles_section,
    ),
    SectionSpec(
        "segments",
        "The segments",
        "Who is in each segment, what they are worth, and what to do about them. Recency, "
        "orders and net spend are segment means, with the median below.",
        segments_section,
    ),
    SectionSpec(
        "projection",
        "Segment map",
        "Customers projected from the model's scaled feature space onto its two principal "
        "components. Well separated colours mean well separated segments; \u00d7 marks each "
        "segment's centre.",
        projection_section,
    ),
    SectionSpec(
        "k_selection",
        "Choosing the number of segments",
        "The scores of every number of segments tried; the star marks the chosen k.",
        k_selection_section,
    ),
    SectionSpec(
        "validation",
        "Do the segments predict?",
        "The segmentation is refitted on the customers' features one horizon back and judged on "
        "what they did next, beside the classic 11-label RFM grid and recency quartiles on the "
        "same customers. eta\u00b2 is the share of the variance of next-period churn (no "
        "purchase) and net spend that the groups explain: higher means groups that behave more "
        "differently. The lifts compare the best and worst group with all customers.",
        validation_section,
    ),
    SectionSpec(
        "scores",
        "Churn risk and expected value",
        "Predicted churn probability and expected value next period, by segment; which method "
        "scored the customers, and how well each method's probabilities matched what happened on "
        "a time hold-out.",
        scores_section,
    ),
    SectionSpec(
        "migration",
        "Segment migration",
        "Where the customers of each previous segment are now. Numbers are customers; colour is "
        "the share of the row.",
        migration_section,
    ),
    SectionSpec(
        "monitoring",
        "Monitoring",
        "Health checks and drift of the segmentation since it was fitted.",
        monitoring_section,
    ),
    SectionSpec(
        "fairness",
        "Fairness view",
        "Segment mix by sensitive attributes, which the model does not use: a segment far from "
        "the 'All customers' mix deserves a second look before it drives targeting.",
        fairness_section,
    ),
    SectionSpec(
        "reviews",
        "What customers say in their reviews",
        "Sentiment of the review text (VADER, English reviews only) and the topics the shop's "
        "reviews are about, by segment. Only scores, topic ids and topic words are stored, "
        "never the text.",
        reviews_section,
    ),
    SectionSpec(
        "risk",
        "Return and refund risk",
        "Customers by risk band of marts.customer_risk: review when at least two return signals "
        "(return rate, refund rate, refunds soon after a purchase) stand out from the shop, "
        "watch when one signal does (or heavy discounts). Review means a manual check before "
        "the next refund and no promotions meanwhile (playbook rule refund_review).",
        risk_section,
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
        loader=jinja2.PackageLoader("customer_segmentation.report", "templates"),
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
                    "spec_json": Markup(figure_json(chart.figure)),
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
        context = load_context(warehouse, sample_size, seed)
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
