"""The report sections about the segmentation itself: the headline, segment sizes, profiles and
cards, the 2-D segment map, the choice of k and the segments' validity on a time hold-out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from sklearn.decomposition import PCA

from customer_segmentation.report.data import (
    ACTION_COLUMNS,
    CHANNEL_COLUMNS,
    K_SELECTION_METRICS,
    RULES_PER_SEGMENT,
    NotBuiltError,
    ReportContext,
    Warehouse,
    first_column,
    model_filter,
    quote,
    require,
)
from customer_segmentation.report.figures import (
    Z_SCORE_COLOURSCALE,
    Z_SCORE_LIMIT,
    Body,
    Cell,
    Chart,
    Kpi,
    SegmentCard,
    Table,
    count_phrase,
    feature_label,
    format_count,
    format_days,
    format_number,
    format_share,
    is_missing,
    rounded,
    style_figure,
)
from customer_segmentation.segmentation.naming import FEATURE_LABELS
from customer_segmentation.segmentation.preprocessing import apply_scaling


def headline_section(warehouse: Warehouse, context: ReportContext) -> Body:
    summary_reason = warehouse.why_not("marts.segment_summary", ("segment_id", "customers"))
    if context.model is None and summary_reason:
        metrics_reason = warehouse.why_not("ml.segment_model_metrics", ("model_id",))
        raise NotBuiltError(f"{metrics_reason}; {summary_reason}")
    body = Body(sources=[])
    if summary_reason is None:
        body.sources.append("marts.segment_summary")
        summary = context.segments
        body.kpis.append(Kpi("Customers", format_count(summary["customers"].sum()), "segmented"))
        body.kpis.append(Kpi("Segments", format_count(len(summary))))
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
                "" if training is None else f"fitted on {count_phrase(training)}",
                "kpi-model",
            )
        )
    else:
        reason = warehouse.why_not("ml.segment_model_metrics", ("model_id",))
        body.notes.append(f"Model figures not shown: {reason}.")
    return body


def sizes_section(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_summary"
    require(warehouse.why_not(table, ("segment_id", "segment_name", "customers")))
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
            x=rounded(customer_share),
            orientation="h",
            marker={"color": colours},
            text=[format_share(v) for v in customer_share],
            textposition="outside",
            cliponaxis=False,
            customdata=[count_phrase(v) for v in summary["customers"]],
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
                x=rounded(revenue_share.fillna(0)),
                orientation="h",
                marker={"color": colours, "pattern": {"shape": "/", "fgcolor": "#FFFFFF"}},
                text=[format_share(v) for v in revenue_share],
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
    shares = [float(v) for v in shares if not is_missing(v)]
    # Room for the outside labels; below 0 only when refunds exceed purchases in a segment.
    low, high = min(0.0, min(shares)), max(0.0, max(shares))
    figure.update_xaxes(
        tickformat=".0%", range=[low * 1.18, min(1.0, high * 1.18 + 0.02)], showgrid=True
    )
    figure.update_yaxes(autorange="reversed", showgrid=False)
    style_figure(
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


def profiles_section(warehouse: Warehouse, context: ReportContext) -> Body:
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
            if is_missing(value):
                row.append("")
                continue
            cell = f"{value:+.2f}"
            top = rank.at[feature, sid]
            row.append(f"<b>{cell}</b>" if not is_missing(top) and top <= 3 else cell)
        text.append(row)
    figure = go.Figure(
        go.Heatmap(
            z=[rounded(z.loc[feature]) for feature in features],
            x=[context.tick_label(sid, 16) for sid in segment_ids],
            y=[feature_label(feature) for feature in features],
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
    style_figure(
        figure, height=140 + 30 * len(features), margin={"l": 10, "r": 10, "t": 70, "b": 10}
    )
    return Body(sources=[table], charts=[Chart("heatmap", "", figure)])


def segments_section(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_summary"
    require(warehouse.why_not(table, ("segment_id", "segment_name", "customers")))
    body = Body(sources=[table])
    rules = _segment_rules(warehouse, body)
    actions = _segment_actions(warehouse, body)
    for row in context.segments.to_dict("records"):
        sid = int(row["segment_id"])
        figures = [
            Kpi(
                "Customers",
                format_count(row["customers"]),
                format_share(row.get("share_of_customers")) + " of all",
            )
        ]
        if "revenue" in row:
            figures.append(
                Kpi(
                    "Revenue",
                    context.money(row["revenue"]),
                    format_share(row.get("share_of_revenue")) + " of all",
                )
            )
        for label, mean, median, formatter in (
            ("Recency", "avg_recency_days", "median_recency_days", format_days),
            ("Orders", "avg_frequency", "median_frequency", format_number),
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
    if is_missing(text) or not str(text).strip():
        return ""
    parts = []
    for item in str(text).split(", "):
        name, _, value = item.rpartition(" ")
        parts.append(f"{feature_label(name)} {value}" if name else item)
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
                f"{row.rule} \u2014 covers {format_share(row.coverage)} of the segment, "
                f"precision {format_share(row.rule_precision)}"
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
        key = first_column(columns, ("segment_id", "segment_name"))
        action = first_column(columns, ACTION_COLUMNS)
        reason = warehouse.why_not(table)
        if reason is None and (key is None or action is None):
            reason = f"{table} has no segment_id/segment_name or action column"
        if reason:
            reasons.append(reason)
            continue
        body.sources.append(table)
        channel = first_column(columns, CHANNEL_COLUMNS)
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
            if not is_missing(row.channel):
                text += f" (via {row.channel})"
            if not is_missing(row.customers):
                text += f" \u2014 {count_phrase(row.customers)}"
            segment_key = row.segment_key if key == "segment_name" else int(row.segment_key)
            actions.setdefault(segment_key, []).append(text)
        return actions
    if not playbook:
        reasons.append("no segment_playbook seed")
    body.notes.append(f"Recommended actions not built: {'; '.join(reasons)}.")
    return {}


def projection_section(warehouse: Warehouse, context: ReportContext) -> Body:
    features_table = "intermediate.int_customer_features"
    scaling_table = "ml.segment_model_scaling"
    segments_table = "marts.customer_segments"
    require(warehouse.why_not(segments_table, ("customer_id", "segment_id")))
    require(
        warehouse.why_not(
            scaling_table,
            ("feature", "position", "source_column", "transform", "center", "scale"),
        )
    )
    require(warehouse.why_not(features_table, ("customer_id",)))
    where, parameters = model_filter(warehouse, scaling_table, context)
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
                x=rounded(points[mask, 0], 5),
                y=rounded(points[mask, 1], 5),
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
                x=rounded(centres[:, 1], 5),
                y=rounded(centres[:, 2], 5),
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
    style_figure(
        figure,
        height=580,
        legend={"orientation": "v", "x": 1.01, "y": 1, "title": None, "itemsizing": "constant"},
    )
    shown = len(sample)
    notes.insert(
        0,
        f"{count_phrase(shown)} shown"
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
    where, parameters = model_filter(warehouse, table, context)
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


def k_selection_section(warehouse: Warehouse, context: ReportContext) -> Body:
    table = warehouse.first_usable(
        ["marts.segment_model_selection", "ml.segment_model_candidates"], ("k",)
    )
    columns = warehouse.columns(table)
    metrics = [
        (label, column, hint)
        for label, spellings, hint in K_SELECTION_METRICS
        if (column := first_column(columns, spellings)) is not None
    ]
    if not metrics:
        raise NotBuiltError(f"{table} has no silhouette, Davies-Bouldin, stability or inertia")
    where, parameters = model_filter(warehouse, table, context)
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
        values = rounded(frame[column])
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
    style_figure(figure, height=360, showlegend=False, margin={"l": 10, "r": 20, "t": 60, "b": 40})
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
    ("Churn eta\u00b2", "churn_eta_squared", lambda v: format_number(v, 3)),
    ("Spend eta\u00b2", "spend_eta_squared", lambda v: format_number(v, 3)),
    ("Churn rate of the worst group \u00f7 all", "churn_lift_worst_segment", format_number),
    ("Churn rate of the best group \u00f7 all", "churn_lift_best_segment", format_number),
    ("Spend of the best group \u00f7 all", "spend_lift_best_segment", format_number),
    ("Spend of the worst group \u00f7 all", "spend_lift_worst_segment", format_number),
)


def validation_section(warehouse: Warehouse, context: ReportContext) -> Body:
    table = "marts.segment_validation"
    require(warehouse.why_not(table, ("model_id", "method", "metric", "value", "is_chosen")))
    where, parameters = model_filter(warehouse, table, context)
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
    verdict = "not compared" if is_missing(beats) else ("yes" if beats else "no")
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
            f"{float(ours) / float(grid):.2f}\u00d7 the RFM grid ({format_number(grid, 3)})"
            if not is_missing(ours) and not is_missing(grid) and float(grid) > 0
            else "RFM grid: " + format_number(grid, 3)
        )
        body.kpis.append(Kpi(f"{label}, segments", format_number(ours, 3), ratio))

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
            if not is_missing(groups.get(m))
            else VALIDATION_METHODS[m][0]
            for m in methods
        ]
        raw = [figures.get((m, metric)) for m in methods]
        values = rounded(raw, 4)
        figure.add_trace(
            go.Bar(
                x=labels,
                y=values,
                marker={"color": [VALIDATION_METHODS[m][1] for m in methods]},
                text=[format_number(v, 3) for v in raw],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{x}<br>eta\u00b2 %{y:.3f}<extra></extra>",
            ),
            row=1,
            col=index,
        )
        top = max([v for v in values if v is not None] or [0.0])
        figure.update_yaxes(range=[0, max(top * 1.2, 0.05)], tickformat=".2f", row=1, col=index)
    style_figure(
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
            Cell(format_count(groups.get(method)), "num"),
        ]
        for _, metric, formatter in VALIDATION_COLUMNS:
            value = figures.get((method, metric))
            cells.append(Cell(formatter(value), "missing" if is_missing(value) else "num"))
        rows.append(tuple(cells))
    window = ""
    if not is_missing(first.get("validation_cutoff_date")):
        cutoff = pd.Timestamp(first["validation_cutoff_date"]).date()
        window = (
            f"Segments fitted on the features of {cutoff}"
            f" and judged on what {format_count(first.get('customers'))} customers did in the "
            f"{format_count(first.get('horizon_days'))} days after it (up to "
            f"{pd.Timestamp(first['outcome_end_date']).date()})."
        )
    body.tables.append(Table(header, tuple(rows), caption=window))
    if not is_missing(first.get("verdict")):
        verdict_text = str(first["verdict"])
        body.notes.append(verdict_text[:1].upper() + verdict_text[1:] + ".")
    return body
