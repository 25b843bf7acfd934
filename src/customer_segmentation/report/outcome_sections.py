"""The report sections about what the segments go on to do and how they are watched: churn and
value scores with their calibration, migration between segments, monitoring, the fairness
view, review sentiment and topics, and return and refund risk."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from customer_segmentation.report.data import (
    FAIRNESS_ATTRIBUTE_COLUMNS,
    FAIRNESS_COUNT_COLUMNS,
    FAIRNESS_GROUP_COLUMNS,
    MONITORING_ROW_LIMIT,
    PERIOD_COLUMNS,
    STATUS_SEVERITY,
    NotBuiltError,
    ReportContext,
    Warehouse,
    first_column,
    quote,
    require,
)
from customer_segmentation.report.figures import (
    AGE_BAND_ORDER,
    GROUP_COLOURS,
    UNKNOWN_GROUP_COLOUR,
    Body,
    Cell,
    Chart,
    Kpi,
    Table,
    count_phrase,
    feature_label,
    format_cell,
    format_count,
    format_days,
    format_number,
    format_share,
    is_missing,
    python_value,
    rounded,
    style_figure,
)


def scores_section(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.customer_scores"
    segments_table = "marts.customer_segments"
    require(warehouse.why_not(table, ("customer_id",)))
    require(warehouse.why_not(segments_table, ("customer_id", "segment_id")))
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
        panels.append(("Mean churn probability", "mean_churn_probability", format_share, ".0%"))
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
                x=rounded(frame[column]),
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
        values = [float(v) for v in frame[column] if not is_missing(v)] or [0.0]
        # Headroom for the outside labels, which plotly would otherwise cut at the edge.
        low, high = min(0.0, min(values)), max(0.0, max(values))
        figure.update_xaxes(
            tickformat=tick_format, range=[low * 1.25, high * 1.25 or 1], row=1, col=index
        )
    figure.update_yaxes(autorange="reversed", showgrid=False)
    style_figure(
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
            Cell(format_count(row["customers"]), "num"),
        ]
        if has_churn:
            cells += [
                Cell(format_share(row["mean_churn_probability"]), "num"),
                Cell(format_share(row["share_likely_to_churn"]), "num"),
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
                    format_count(scored),
                    f"{format_share(scored / total)} of {format_count(total)} customers",
                )
            )
    unscored = counts[counts["score_method"].isna()]
    if len(unscored):
        reasons = ", ".join(sorted({str(value) for value in unscored["score_status"]}))
        kpis.append(
            Kpi("Not scored", format_count(int(unscored["customers"].sum())), reasons, "status-bad")
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
                x=rounded(curve["mean_predicted_churn"]),
                y=rounded(curve["observed_churn_rate"]),
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
    style_figure(figure, height=420, margin={"l": 60, "r": 20, "t": 30, "b": 50})
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
            cells.append(Cell(format_number(value, 3), "num"))
        rows.append(tuple(cells))
    caption = (
        "Time hold-out: fitted one horizon before the last and scored on what customers did "
        "since. AUC and Spearman: higher is better; Brier and MAE: lower is better."
    )
    return Table(("Method", *[label for _, label in metrics]), tuple(rows), caption)


def migration_section(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_migration"
    require(warehouse.why_not(table, ("from_segment_id", "to_segment_id", "customers")))
    columns = warehouse.columns(table)
    where = ""
    notes = []
    period = first_column(columns, PERIOD_COLUMNS)
    if period:
        # Several periods stacked in one table: show the latest transition only.
        where = f'where "{period}" = (select max("{period}") from {quote(table)})'
        latest = warehouse.query(f'select max("{period}") as latest from {quote(table)}')
        notes.append(f"Latest period only: {period} = {format_cell(latest['latest'][0]).text}.")
    frame = warehouse.query(
        "select from_segment_id, to_segment_id, sum(customers) as customers "
        f"from {quote(table)} {where} group by all order by all"
    )
    from_ids = sorted({python_value(v) for v in frame["from_segment_id"]}, key=_none_last)
    to_ids = sorted({python_value(v) for v in frame["to_segment_id"]}, key=_none_last)
    counts = {
        (python_value(row.from_segment_id), python_value(row.to_segment_id)): int(row.customers)
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
        text.append([format_count(counts.get((source, target), 0)) for target in to_ids])
        phrases.append([count_phrase(counts.get((source, target), 0)) for target in to_ids])

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
    style_figure(
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


def monitoring_section(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_monitoring"
    require(warehouse.why_not(table, ("as_of_date", "status", "reason")))
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
            f"{python_value(latest['as_of_date'])}: {latest['reason']}",
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
            value = python_value(record[column])
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
                text = format_number(value, 3)
                if value and feature:
                    text = f"{text} ({feature_label(str(feature))})"
                cells.append(Cell(text, "num" if value is not None else "missing"))
            elif column == "max_segment_share_shift":
                cells.append(Cell(format_share(value), "num"))
            elif column == "model_age_days":
                cells.append(Cell(format_days(value), "num"))
            else:
                cells.append(format_cell(value))
        rows.append(tuple(cells))
    body.tables.append(Table(tuple(label for _, label in selected), tuple(rows)))
    return body


def _status_class(value: str) -> str:
    level = STATUS_SEVERITY.get(str(value).strip().lower(), 0)
    return {3: "status-bad", 2: "status-warn", 1: "status-ok"}.get(level, "status-unknown")


def fairness_section(warehouse: Warehouse, context: ReportContext) -> Body:
    mart = "marts.segment_fairness"
    mart_reason = warehouse.why_not(mart, ("segment_id",))
    if mart_reason is None:
        frame = _normalised_fairness(warehouse.query(f"select * from {quote(mart)} order by all"))
        if frame is None:
            # A shape this report does not know: still show it, as a table.
            raw = warehouse.query(f"select * from {quote(mart)} order by all")
            rows = tuple(tuple(format_cell(v) for v in r) for r in raw.itertuples(index=False))
            return Body(
                sources=[mart],
                tables=[Table(tuple(raw.columns), rows)],
                notes=[f"{mart} is not in long form (attribute, group, customers): shown as is."],
            )
        sources = [mart]
    else:
        features = "intermediate.int_customer_features"
        segments_table = "marts.customer_segments"
        require(warehouse.why_not(segments_table, ("customer_id", "segment_id")))
        require(warehouse.why_not(features, ("customer_id",)))
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


def reviews_section(warehouse: Warehouse, context: ReportContext) -> Body:
    """Sentiment by segment (segment_profiles) and the topics of the reviews (review_topics)."""
    profiles = "marts.segment_profiles"
    topics_table = "marts.review_topics"
    require(warehouse.why_not(profiles, ("segment_id", "feature", "segment_mean")))
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
                    Cell(format_count(first["reviews"]), "num"),
                    Cell(format_share(first["share_of_reviews"]), "num"),
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
                        f"(stability {format_number(chosen['stability'].iloc[0])})",
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
            format_cell(rounded([wide.at[sid, "review_sentiment_mean"]], 3)[0]),
            Cell(format_share(wide.get("review_negative_share", {}).get(sid)), "num"),
        ]
        if topic_columns:
            shares = wide.loc[sid, topic_columns].astype(float)
            if shares.notna().any():
                top = shares.idxmax()
                topic_id = int(top.split("_")[2])
                label = topic_words.get(topic_id, f"topic {topic_id}")
                cells.append(Cell(f"{label} ({format_share(shares[top])})", "text"))
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
            y=rounded([wide.at[sid, "review_sentiment_mean"] for sid in segment_ids], 4),
            marker={"color": [context.colour(sid) for sid in segment_ids]},
            hovertemplate="%{x}<br>mean sentiment %{y:.2f}<extra></extra>",
        )
    )
    figure.update_yaxes(title_text="mean sentiment", range=[-1, 1], zeroline=True)
    style_figure(figure, height=320)
    body.charts.append(Chart("sentiment", "Mean review sentiment by segment", figure))
    return body


RISK_BANDS = ("none", "watch", "review")


def risk_section(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_risk"
    require(warehouse.why_not(table, ("segment_id", "risk_band", "customers")))
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
            Kpi(label, f"{int(totals[band]):,}", f"{format_share(share)} of segmented customers")
        )
    rows = []
    for segment_id, row in counts.iterrows():
        size = int(row.sum())
        rows.append(
            (
                Cell(context.label(python_value(segment_id)), "text"),
                *(Cell(f"{int(row[band]):,}", "num") for band in RISK_BANDS),
                Cell(format_share(row["review"] / size if size else None), "num"),
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
    attribute = first_column(columns, FAIRNESS_ATTRIBUTE_COLUMNS)
    group = first_column(columns, FAIRNESS_GROUP_COLUMNS)
    count = first_column(columns, FAIRNESS_COUNT_COLUMNS)
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
                x=rounded(shares),
                orientation="h",
                name=_group_label(group),
                marker={"color": colour},
                text=[f"{100 * s:.0f}%" if s >= 0.06 else "" for s in shares],
                textposition="inside",
                insidetextanchor="middle",
                customdata=[count_phrase(row[group]) for _, row in rows],
                hovertemplate="%{y}<br>"
                + _group_label(group)
                + ": %{x:.1%} (%{customdata})<extra></extra>",
            )
        )
    figure.update_xaxes(tickformat=".0%", range=[0, 1])
    figure.update_yaxes(autorange="reversed", showgrid=False)
    style_figure(figure, height=130 + 40 * len(rows), barmode="stack", bargap=0.25)
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
