"""The segment report on small hand-built warehouses: sections, self-containment, determinism.

The fixture writes the tables the report reads, with the column names of the dbt models, into a
DuckDB file: the models that exist today, and optionally the marts of later issues
(segment_profiles, segment_model_selection, segment_explanations, campaign_audiences,
segment_migration, customer_scores, segment_monitoring, segment_fairness).
tests/unit/test_report_browser.py reuses build_warehouse to render the page in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from customer_segmentation.report import SECTIONS, main, write_report
from customer_segmentation.segmentation.preprocessing import apply_scaling, fit_scaling

MODEL_ID = "kmeans-2026-07-15-test"
AS_OF_DATE = "2026-07-15"
SEGMENT_NAMES = {1: "Champions", 2: "Lapsed buyers", 3: "Window shoppers"}
NUMERIC_FEATURES = ["recency_days", "frequency", "monetary", "sessions", "return_rate"]
LOG1P_FEATURES = ["recency_days", "frequency", "monetary", "sessions"]
ALL_SECTIONS = {spec.key for spec in SECTIONS}
TODAY_BUILT = {"headline", "sizes", "profiles", "segments", "projection", "k_selection", "fairness"}
LATER_SECTIONS = {
    "validation": "segment_validation",
    "scores": "customer_scores",
    "migration": "segment_migration",
    "monitoring": "segment_monitoring",
    "risk": "segment_risk",
}


# --- fixture warehouse --------------------------------------------------------------------------


def _features(n_per_segment: int, demographics: bool) -> pd.DataFrame:
    """Customers of three planted segments with the columns of int_customer_features."""
    rng = np.random.default_rng(7)
    frames = []
    centres = {
        1: {"recency_days": 15, "frequency": 25, "monetary": 4000, "sessions": 60},
        2: {"recency_days": 400, "frequency": 1, "monetary": 60, "sessions": 3},
        3: {"recency_days": 90, "frequency": 2, "monetary": 150, "sessions": 80},
    }
    for segment_id, centre in centres.items():
        n = n_per_segment
        frames.append(
            pd.DataFrame(
                {
                    "segment_id": segment_id,
                    "recency_days": np.maximum(1, rng.normal(centre["recency_days"], 5, n)).round(),
                    "frequency": np.maximum(1, rng.normal(centre["frequency"], 1, n)).round(),
                    "monetary": np.maximum(1, rng.normal(centre["monetary"], 20, n)).round(2),
                    "sessions": np.maximum(0, rng.normal(centre["sessions"], 4, n)).round(),
                    "return_rate": rng.uniform(0, 0.3, n).round(3),
                }
            )
        )
    features = pd.concat(frames, ignore_index=True)
    features.insert(0, "customer_id", [f"c{i:04d}" for i in range(len(features))])
    features["as_of_date"] = pd.Timestamp(AS_OF_DATE).date()
    features["average_order_value"] = (features["monetary"] / features["frequency"]).round(2)
    if demographics:
        features["gender"] = np.array(["female", "male", "non_binary", "unknown"])[
            np.arange(len(features)) % 4
        ]
        features["age_band"] = np.array(["under_25", "25_34", "45_54", "unknown", "65_plus"])[
            np.arange(len(features)) % 5
        ]
    else:
        features["gender"] = "unknown"
        features["age_band"] = "unknown"
    features["country"] = "DE"
    return features


def _profiles(features: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for feature in [*NUMERIC_FEATURES, "average_order_value"]:
        values = features[feature].astype(float)
        overall_mean, overall_std = values.mean(), values.std(ddof=0)
        for segment_id, part in features.groupby("segment_id"):
            segment_mean = part[feature].astype(float).mean()
            rows.append(
                {
                    "segment_id": int(segment_id),
                    "feature": feature,
                    "customers_with_value": len(part),
                    "segment_mean": segment_mean,
                    "segment_median": part[feature].astype(float).median(),
                    "overall_mean": overall_mean,
                    "overall_stddev": overall_std,
                    "z_score": (segment_mean - overall_mean) / overall_std,
                }
            )
    return pd.DataFrame(rows)


def _summary(segments: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    grouped = segments.groupby("segment_id")
    summary = pd.DataFrame(
        {
            "customers": grouped.size(),
            "revenue": grouped["monetary"].sum(),
            "avg_recency_days": grouped["recency_days"].mean(),
            "median_recency_days": grouped["recency_days"].median(),
            "avg_frequency": grouped["frequency"].mean(),
            "median_frequency": grouped["frequency"].median(),
            "avg_monetary": grouped["monetary"].mean(),
            "median_monetary": grouped["monetary"].median(),
        }
    ).reset_index()
    summary.insert(1, "segment_name", summary["segment_id"].map(SEGMENT_NAMES))
    summary.insert(2, "description", "Planted segment " + summary["segment_id"].astype(str) + ".")
    summary.insert(4, "share_of_customers", summary["customers"] / summary["customers"].sum())
    summary.insert(5, "share_of_revenue", summary["revenue"] / summary["revenue"].sum())
    summary["distinguishing_features"] = "recency_days +1.2, frequency -0.4, sessions +0.3"
    for feature in ("recency", "frequency", "monetary"):
        column = "recency_days" if feature == "recency" else feature
        z = profiles[profiles["feature"] == column].set_index("segment_id")["z_score"]
        summary[f"{feature}_z_score"] = summary["segment_id"].map(z)
    return summary


# The hold-out figures of the fake model (marts.segment_validation): the chosen k = 3 beats the
# grid on spend but not on churn, so the page must say "no".
VALIDATION_FIGURES = {
    ("segments", 3): {"churn_eta_squared": 0.205, "spend_eta_squared": 0.41},
    ("segments", 4): {"churn_eta_squared": 0.199, "spend_eta_squared": 0.43},
    ("rfm_grid", 11): {"churn_eta_squared": 0.19, "spend_eta_squared": 0.05},
    ("recency_quartiles", 4): {"churn_eta_squared": 0.11, "spend_eta_squared": 0.03},
}


def _validation_rows() -> pd.DataFrame:
    rows = []
    order = {"segments": 1, "rfm_grid": 2, "recency_quartiles": 3}
    for (method, k), figures in VALIDATION_FIGURES.items():
        for metric, value in {
            **figures,
            "churn_lift_worst_segment": 1.8,
            "churn_lift_best_segment": 0.2,
            "spend_lift_best_segment": 6.0,
            "spend_lift_worst_segment": 0.01,
        }.items():
            grid = VALIDATION_FIGURES[("rfm_grid", 11)].get(metric)
            rows.append(
                {
                    "model_id": MODEL_ID,
                    "method": method,
                    "method_order": order[method],
                    "k": k,
                    "is_chosen": method != "segments" or k == 3,
                    "metric": metric,
                    "value": value,
                    "ratio_to_rfm_grid": value / grid if grid else None,
                    "horizon_days": 90,
                    "validation_cutoff_date": pd.Timestamp("2026-04-02").date(),
                    "outcome_end_date": pd.Timestamp(AS_OF_DATE).date(),
                    "customers": 240,
                    "beats_rfm_grid": False,
                    "verdict": "the segments do NOT beat the RFM grid by 15% on both outcomes",
                }
            )
    return pd.DataFrame(rows)


def _review_profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    """Review text features in the profiles: segment 1 unhappy, writing about delivery."""
    rows = []
    for segment_id in sorted(profiles["segment_id"].unique()):
        first = segment_id == profiles["segment_id"].min()
        for feature, value in (
            ("review_sentiment_mean", -0.42 if first else 0.55),
            ("review_negative_share", 0.7 if first else 0.1),
            ("review_topic_1_share", 0.8 if first else 0.3),
            ("review_topic_2_share", 0.2 if first else 0.7),
        ):
            rows.append(
                {
                    "segment_id": int(segment_id),
                    "feature": feature,
                    "customers_with_value": 10,
                    "segment_mean": value,
                    "segment_median": value,
                    "overall_mean": 0.3,
                    "overall_stddev": 0.2,
                    "z_score": (value - 0.3) / 0.2,
                    "importance_rank": 99,
                }
            )
    return pd.DataFrame(rows)


def _optional_tables(features: pd.DataFrame, profiles: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Small fakes of the marts later issues add, with the columns the report expects."""
    ranked = profiles.assign(abs_z=profiles["z_score"].abs()).sort_values(
        ["segment_id", "abs_z"], ascending=[True, False]
    )
    ranked["importance_rank"] = ranked.groupby("segment_id").cumcount() + 1
    ids = features["segment_id"].to_numpy()
    customers = features["customer_id"]
    return {
        "marts.segment_profiles": pd.concat(
            [ranked.drop(columns="abs_z"), _review_profiles(profiles)], ignore_index=True
        ),
        "marts.review_topics": pd.DataFrame(
            {
                "topic_id": [1, 1, 1, 2, 2, 2],
                "topic_label": ["delivery, parcel, late"] * 3 + ["size, fit, small"] * 3,
                "word_rank": [1, 2, 3, 1, 2, 3],
                "word": ["delivery", "parcel", "late", "size", "fit", "small"],
                "word_weight": [0.9, 0.7, 0.5, 0.8, 0.6, 0.4],
                "reviews": [60, 60, 60, 40, 40, 40],
                "share_of_reviews": [0.6, 0.6, 0.6, 0.4, 0.4, 0.4],
            }
        ),
        "marts.review_topic_selection": pd.DataFrame(
            {
                "k": [2, 3],
                "stability": [0.91, 0.72],
                "reconstruction_error": [10.0, 9.0],
                "is_chosen": [True, False],
            }
        ),
        "marts.segment_model_selection": pd.DataFrame(
            {
                "model_id": MODEL_ID,
                "k": [2, 3, 4, 5],
                "silhouette": [0.41, 0.63, 0.52, 0.48],
                "davies_bouldin": [1.1, 0.6, 0.8, 0.9],
                "stability": [0.80, 0.97, 0.85, 0.79],
                "inertia": [900.0, 400.0, 330.0, 290.0],
                "is_chosen": [False, True, False, False],
            }
        ),
        "marts.segment_explanations": pd.DataFrame(
            {
                "segment_id": [1, 1, 2, 3],
                "rule_rank": [1, 2, 1, 1],
                "rule": [
                    "frequency > 10",
                    "monetary > 1000",
                    "recency_days > 300",
                    "sessions > 50 and frequency <= 3",
                ],
                "coverage": [0.98, 0.95, 1.0, 0.9],
                "rule_precision": [0.99, 0.97, 0.96, 0.93],
            }
        ),
        "marts.campaign_audiences": pd.DataFrame(
            {
                "customer_id": customers,
                "segment_id": ids,
                "recommended_action": pd.Series(ids).map(
                    {1: "VIP early access", 2: "Win-back voucher", 3: "Cart reminder"}
                ),
                "channel": "email",
            }
        ),
        "marts.segment_migration": pd.DataFrame(
            {
                "from_segment_id": [1, 1, 2, 2, 3, None],
                "to_segment_id": [1, 2, 2, 3, 3, 1],
                "customers": [70, 10, 75, 5, 80, 12],
            }
        ),
        "marts.customer_scores": pd.DataFrame(
            {
                "customer_id": customers,
                "churn_probability": np.where(ids == 2, 0.8, 0.2),
                "expected_value_next_period": np.where(ids == 1, 500.0, 20.0),
                "score_method": "supervised",
                "score_status": "scored",
            }
        ),
        "marts.prediction_evaluation": pd.DataFrame(
            {
                "method": np.repeat(["supervised", "bgnbd", "recency", "rfm"], 4),
                "metric": ["auc", "brier", "mae", "spearman"] * 4,
                "value": [0.81, 0.17, 90.5, 0.61, 0.79, 0.18, 95.0, 0.58]
                + [0.7, 0.21, 120.0, 0.5, 0.78, 0.18, 130.0, 0.55],
                "evaluation_status": "evaluated",
                "status_reason": "fitted on 900 customers, scored on 1000",
            }
        ),
        "marts.prediction_calibration": pd.DataFrame(
            {
                "method": np.repeat(["supervised", "bgnbd", "recency", "rfm"], 10),
                "decile": np.tile(np.arange(1, 11), 4),
                "customers": 100,
                "mean_predicted_churn": np.tile(np.linspace(0.05, 0.95, 10), 4),
                "observed_churn_rate": np.tile(np.linspace(0.02, 0.97, 10), 4),
            }
        ),
        "marts.segment_monitoring": pd.DataFrame(
            {
                "as_of_date": pd.to_datetime(["2026-05-01", "2026-06-01", "2026-07-01"]),
                "status": ["ok", "warn", "ok"],
                "reason": [
                    "no drift beyond the warning thresholds",
                    "feature monetary is drifting: PSI 0.12 > 0.1",
                    "no drift beyond the warning thresholds",
                ],
                "model_decision": ["first_fit", "keep", "refit"],
                "decision_reason": ["first model fitted", "current model kept", "var retrain"],
                "max_feature_psi": [0.0, 0.12, 0.0],
                "max_psi_feature": ["monetary", "monetary", "monetary"],
                "max_segment_share_shift": [0.0, 0.02, 0.0],
                "model_age_days": [0, 31, 0],
            }
        ),
        "marts.segment_validation": _validation_rows(),
        # The columns of the real mart (models/marts/activation/segment_risk.sql); segment 3 has
        # nobody in review and no row for it, as a hand-made table might.
        "marts.segment_risk": pd.DataFrame(
            {
                "segment_id": [1, 1, 1, 2, 2, 2, 3, 3],
                "segment_name": [SEGMENT_NAMES[i] for i in (1, 1, 1, 2, 2, 2, 3, 3)],
                "risk_band": [
                    "none",
                    "watch",
                    "review",
                    "none",
                    "watch",
                    "review",
                    "none",
                    "watch",
                ],
                "customers": [70, 6, 4, 80, 0, 0, 79, 1],
            }
        ),
        "marts.segment_fairness": (
            features.melt(
                id_vars=["segment_id"],
                value_vars=["gender", "age_band"],
                var_name="attribute",
                value_name="attribute_value",
            )
            .groupby(["segment_id", "attribute", "attribute_value"], as_index=False)
            .size()
            # The columns of the real mart (models/marts/fairness/segment_fairness.sql).
            .rename(columns={"size": "segment_customers"})
        ),
    }


def build_warehouse(
    path: Path,
    optional: bool = False,
    empty_optional: bool = False,
    demographics: bool = True,
    n_per_segment: int = 80,
    segment_names: dict[int, str] | None = None,
) -> Path:
    """Write a DuckDB file with the ml, intermediate and marts tables the report reads.

    optional adds the later issues' marts; empty_optional adds them without rows.
    """
    names = segment_names or SEGMENT_NAMES
    features = _features(n_per_segment, demographics)
    scaling = fit_scaling(features, NUMERIC_FEATURES, LOG1P_FEATURES)
    scaled = apply_scaling(features, scaling.parameters)
    parameters = scaling.parameters.copy()
    parameters.insert(0, "model_id", MODEL_ID)
    centroid_rows = []
    for segment_id in sorted(names):
        centre = scaled[features["segment_id"].to_numpy() == segment_id].mean(axis=0)
        for position, (feature, value) in enumerate(
            zip(scaling.feature_names, centre, strict=True), start=1
        ):
            centroid_rows.append(
                {
                    "model_id": MODEL_ID,
                    "segment_id": segment_id,
                    "feature": feature,
                    "position": position,
                    "centroid_value": float(value),
                }
            )
    centroids = pd.DataFrame(centroid_rows)
    segments = features[["customer_id", "segment_id"]].copy()
    segments["segment_name"] = segments["segment_id"].map(names)
    segments["as_of_date"] = features["as_of_date"]
    segments["model_id"] = MODEL_ID
    for column in ("recency_days", "frequency", "monetary"):
        segments[column] = features[column]
    segments["distance_to_centroid"] = 0.5
    profiles = _profiles(features)
    summary = _summary(segments, profiles)
    summary["segment_name"] = summary["segment_id"].map(names)
    tables = {
        "ml.segment_model_metrics": pd.DataFrame(
            {
                "model_id": [MODEL_ID],
                "algorithm": ["kmeans"],
                "as_of_date": [pd.Timestamp(AS_OF_DATE).date()],
                "k": [3],
                "silhouette": [0.63],
                "inertia": [400.0],
                "training_customers": [len(features)],
                "dimensions": [len(scaling.feature_names)],
                "fit_seconds": [0.4],
            }
        ),
        "ml.segment_model_candidates": pd.DataFrame(
            {
                "model_id": MODEL_ID,
                "k": [2, 3, 4, 5],
                "silhouette": [0.41, 0.63, 0.52, 0.48],
                "inertia": [900.0, 400.0, 330.0, 290.0],
                "is_chosen": [False, True, False, False],
            }
        ),
        "ml.segment_model_scaling": parameters,
        "ml.segment_model_centroids": centroids,
        "ml.segment_model_segments": summary[["segment_id", "segment_name", "description"]]
        .assign(model_id=MODEL_ID, training_customers=summary["customers"])
        .loc[:, ["model_id", "segment_id", "segment_name", "description", "training_customers"]],
        "intermediate.int_customer_features": features.drop(columns="segment_id"),
        "intermediate.int_segment_feature_profiles": profiles,
        "marts.customer_segments": segments,
        "marts.segment_summary": summary,
    }
    if optional or empty_optional:
        tables.update(_optional_tables(features, profiles))
    with duckdb.connect(str(path)) as connection:
        for schema in ("ml", "intermediate", "marts", "reference"):
            connection.execute(f"create schema if not exists {schema}")
        for name, frame in tables.items():
            connection.register("frame", frame)
            where = " where false" if empty_optional and name not in _today(tables) else ""
            connection.execute(f"create table {name} as select * from frame{where}")
            connection.unregister("frame")
    return path


def _today(tables: dict[str, pd.DataFrame]) -> set[str]:
    return {name for name in tables if name.startswith(("ml.", "intermediate."))} | {
        "marts.customer_segments",
        "marts.segment_summary",
    }


# --- reading the page back ----------------------------------------------------------------------


def section_states(html: str) -> dict[str, str]:
    """{section key: 'built' | 'not-built'} from the page."""
    return dict(re.findall(r'data-section="([\w-]+)" data-state="([\w-]+)"', html))


def section_html(html: str, key: str) -> str:
    """The HTML of one section."""
    match = re.search(rf'<section id="section-{key}".*?</section>', html, re.DOTALL)
    assert match, f"no section {key}"
    return match.group(0)


def figure_specs(html: str) -> dict[str, dict]:
    """{chart element id: plotly figure JSON} of every chart on the page."""
    specs = re.findall(
        r'<script type="application/json" id="(chart-[\w-]+)-spec">(.*?)</script>', html, re.DOTALL
    )
    return {element_id: json.loads(text) for element_id, text in specs}


def decoded(values: list | dict) -> list:
    """A plotly data array as a list, decoding plotly's base64 typed arrays."""
    if isinstance(values, dict) and "bdata" in values:
        dtype = np.dtype(values["dtype"])
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=dtype).tolist()
    return list(values)


@pytest.fixture(scope="module")
def today_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("today")
    database = build_warehouse(directory / "warehouse.duckdb")
    output = write_report(database, directory / "report.html")
    return database, output.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    directory = tmp_path_factory.mktemp("full")
    database = build_warehouse(directory / "warehouse.duckdb", optional=True)
    output = write_report(database, directory / "report.html")
    return database, output.read_text(encoding="utf-8")


# --- tests --------------------------------------------------------------------------------------


def test_todays_models_build_their_sections_and_note_the_later_ones(today_report):
    _, html = today_report
    states = section_states(html)
    assert set(states) == ALL_SECTIONS
    assert {key for key, state in states.items() if state == "built"} == TODAY_BUILT
    for key, table in LATER_SECTIONS.items():
        assert f"not built: marts.{table} does not exist" in section_html(html, key)
    assert "intermediate.int_segment_feature_profiles" in section_html(html, "profiles")
    assert "ml.segment_model_candidates" in section_html(html, "k_selection")
    segments = section_html(html, "segments")
    assert "Rules not built: marts.segment_explanations does not exist" in segments
    assert "Recommended actions not built" in segments
    assert set(figure_specs(html)) == {
        "chart-sizes-shares",
        "chart-profiles-heatmap",
        "chart-projection-pca",
        "chart-k_selection-curves",
        "chart-fairness-gender",
        "chart-fairness-age_band",
    }


def test_headline_numbers(today_report):
    _, html = today_report
    headline = section_html(html, "headline")
    for text in ("240", MODEL_ID, "kmeans", AS_OF_DATE, "k = 3"):
        assert text in headline


def test_optional_marts_are_used_when_they_exist(full_report):
    _, html = full_report
    assert set(section_states(html).values()) == {"built"}
    assert "marts.segment_profiles" in section_html(html, "profiles")
    specs = figure_specs(html)
    k_titles = [a["text"] for a in specs["chart-k_selection-curves"]["layout"]["annotations"]]
    assert any(t.startswith("Davies-Bouldin") for t in k_titles)
    assert any(t.startswith("Stability") for t in k_titles)
    segments = section_html(html, "segments")
    assert "frequency &gt; 10" in segments and "precision 99.0%" in segments
    assert "Win-back voucher (via email)" in segments and "80 customers" in segments
    assert "marts.segment_fairness" in section_html(html, "fairness")
    monitoring = section_html(html, "monitoring")
    # The latest run first, in readable words; the raw column names stay out of the table.
    assert "Latest run" in monitoring and "2026-07-01" in monitoring
    assert monitoring.index("2026-07-01") < monitoring.index("2026-06-01")
    assert 'class="status-warn">warn<' in monitoring
    assert "0.120 (net spend)" in monitoring and ">refitted<" in monitoring
    assert "max_feature_psi" not in monitoring and "model_decision" not in monitoring
    assert "new customers" in json.dumps(specs["chart-migration-heatmap"])
    assert "chart-scores-bars" in specs
    scores = section_html(html, "scores")
    assert "Scored by the supervised model" in scores and "100.0% of 240 customers" in scores
    assert "Purchase model (BG/NBD family)" in scores and "0.790" in scores
    calibration = specs["chart-scores-calibration"]["data"]
    assert [trace["name"] for trace in calibration] == [
        "Perfectly calibrated",
        "Supervised model",
        "Purchase model (BG/NBD family)",
        "Baseline: recency",
        "Baseline: RFM score",
    ]
    assert all(len(decoded(trace["x"])) == 10 for trace in calibration[1:])
    risk = section_html(html, "risk")
    assert "marts.segment_risk" in risk and "Manual review" in risk
    # 4 of 240 customers in review; Champions: 4 of 80 (5.0%); segment 3 shows 0, not a gap.
    assert "1.7% of segmented customers" in risk and "5.0%" in risk
    assert re.search(
        r"Window shoppers</td>\s*<td[^>]*>79</td>\s*<td[^>]*>1</td>\s*<td[^>]*>0<", risk
    )
    reviews = section_html(html, "reviews")
    assert "-0.42" in reviews and "70.0%" in reviews
    assert "delivery, parcel, late (80.0%)" in reviews
    assert "the most stable k of 2-3" in reviews
    assert "chart-reviews-sentiment" in specs


def test_unscored_customers_and_a_missing_hold_out_are_said(tmp_path):
    database = build_warehouse(tmp_path / "warehouse.duckdb", optional=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            "update marts.customer_scores set score_method = 'bgnbd' where churn_probability > 0.5"
        )
        connection.execute(
            "update marts.customer_scores set score_method = null, "
            "score_status = 'too_few_repeat_buyers' where expected_value_next_period > 100"
        )
        connection.execute(
            "update marts.prediction_evaluation set value = null, "
            "status_reason = 'not evaluated: the data do not reach one horizon'"
        )
        connection.execute("delete from marts.prediction_calibration")
    html = write_report(database, tmp_path / "report.html").read_text(encoding="utf-8")
    scores = section_html(html, "scores")
    assert "Scored by the purchase model (BG/NBD family)" in scores
    assert "Not scored" in scores and "too_few_repeat_buyers" in scores
    assert "No time hold-out: not evaluated: the data do not reach one horizon" in scores
    assert "chart-scores-calibration" not in figure_specs(html)


def test_validation_puts_the_segments_beside_the_rfm_grid(full_report):
    _, html = full_report
    section = section_html(html, "validation")
    assert 'data-state="built"' in section
    assert "Beat the RFM grid?" in section and 'class="kpi status-bad"' in section
    # The KPIs compare the chosen k (3) with the grid: 0.205 / 0.19 and 0.41 / 0.05.
    assert "1.08\u00d7 the RFM grid (0.190)" in section
    assert "8.20\u00d7 the RFM grid (0.050)" in section
    assert "240 customers did in the 90 days after it" in section
    assert "The segments do NOT beat the RFM grid" in section
    bars = figure_specs(html)["chart-validation-eta"]["data"]
    chosen = [("segments", 3), ("rfm_grid", 11), ("recency_quartiles", 4)]
    for trace, metric in zip(bars, ("churn_eta_squared", "spend_eta_squared"), strict=True):
        assert decoded(trace["y"]) == pytest.approx(
            [VALIDATION_FIGURES[key][metric] for key in chosen]
        )
        assert [label.split("<br>")[0] for label in trace["x"]] == [
            "The segments",
            "RFM grid (11 labels)",
            "Recency quartiles",
        ]


def test_empty_optional_tables_are_noted_not_drawn(tmp_path):
    database = build_warehouse(tmp_path / "warehouse.duckdb", empty_optional=True)
    html = write_report(database, tmp_path / "report.html").read_text(encoding="utf-8")
    states = section_states(html)
    assert {key for key, state in states.items() if state == "built"} == TODAY_BUILT
    assert "not built: marts.segment_migration is empty" in section_html(html, "migration")
    # An empty optional mart falls back to the table of today's models.
    assert "intermediate.int_segment_feature_profiles" in section_html(html, "profiles")
    assert "marts.segment_explanations is empty" in section_html(html, "segments")


def test_fairness_is_hidden_when_every_value_is_unknown(tmp_path):
    database = build_warehouse(tmp_path / "warehouse.duckdb", demographics=False)
    html = write_report(database, tmp_path / "report.html").read_text(encoding="utf-8")
    fairness = section_html(html, "fairness")
    assert 'data-state="not-built"' in fairness
    assert "gender and age band unknown for every customer" in fairness
    assert not any("fairness" in key for key in figure_specs(html))


def test_an_empty_warehouse_gives_a_page_of_notes(tmp_path):
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    html = write_report(database, tmp_path / "report.html").read_text(encoding="utf-8")
    assert set(section_states(html).values()) == {"not-built"}
    assert figure_specs(html) == {}
    assert "not built: ml.segment_model_metrics does not exist" in html


def test_page_is_self_contained(full_report):
    _, html = full_report
    assert 'src="http' not in html
    assert not re.search(r"<link[^>]*href=\"http", html)
    assert not re.search(r"<script[^>]*\ssrc=", html), "every script must be inline"
    assert not re.search(r"@import|url\(\s*['\"]?http", html.split("<script>", 1)[0])
    assert html.count("plotly.js v") >= 1 and html.count("<script>") == 3


def test_same_input_same_bytes(tmp_path):
    database = build_warehouse(tmp_path / "warehouse.duckdb", optional=True)
    first = write_report(database, tmp_path / "first.html").read_bytes()
    second = write_report(database, tmp_path / "elsewhere" / "second.html").read_bytes()
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_page_has_no_machine_paths(full_report):
    database, html = full_report
    assert str(database.parent) not in html
    assert "warehouse.duckdb" in html


def test_database_is_read_only_and_closed(tmp_path):
    database = build_warehouse(tmp_path / "warehouse.duckdb", optional=True)
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    write_report(database, tmp_path / "report.html")
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    # DuckDB refuses a read-write connection while a read-only one to the same file is open
    # in this process: this succeeds only if the report closed its connection.
    with duckdb.connect(str(database)) as connection:
        assert connection.execute("select count(*) from marts.segment_summary").fetchone()[0] == 3


def test_segment_colours_agree_across_charts_and_cards(full_report):
    _, html = full_report
    specs = figure_specs(html)
    sizes = specs["chart-sizes-shares"]["data"][0]["marker"]["color"]
    scores = specs["chart-scores-bars"]["data"][0]["marker"]["color"]
    cards = re.findall(r'style="--segment: (#[0-9A-Fa-f]{6})" data-segment-id="(\d+)"', html)
    assert [colour for colour, _ in cards] == sizes == scores
    projection = {t["name"]: t["marker"]["color"] for t in specs["chart-projection-pca"]["data"]}
    assert projection["1 \u00b7 Champions"] == sizes[0]
    assert len(set(sizes)) == 3


def test_projection_is_a_bounded_deterministic_sample(tmp_path):
    database = build_warehouse(tmp_path / "warehouse.duckdb")
    html = write_report(database, tmp_path / "report.html", sample_size=50).read_text("utf-8")
    traces = figure_specs(html)["chart-projection-pca"]["data"]
    customers = [
        customer for t in traces if t["name"] != "segment centres" for customer in t["customdata"]
    ]
    assert len(customers) == 50 == len(set(customers))
    expected = sorted(
        (f"c{i:04d}" for i in range(240)), key=lambda c: hashlib.md5(c.encode()).hexdigest()
    )[:50]
    assert sorted(customers) == sorted(expected)
    centres = next(t for t in traces if t["name"] == "segment centres")
    assert len(decoded(centres["x"])) == 3


def test_chosen_k_is_marked(today_report):
    _, html = today_report
    traces = figure_specs(html)["chart-k_selection-curves"]["data"]
    stars = [t for t in traces if t.get("marker", {}).get("symbol") == "star"]
    assert stars and all(decoded(t["x"]) == [3] for t in stars)


def test_text_from_the_warehouse_is_escaped(tmp_path):
    names = {1: "<script>alert(1)</script>", 2: "Lapsed & gone", 3: "Window shoppers"}
    database = build_warehouse(tmp_path / "warehouse.duckdb", segment_names=names)
    html = write_report(database, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Lapsed &amp; gone" in html


def test_cli_reports_progress_and_timings(tmp_path, capsys):
    database = build_warehouse(tmp_path / "warehouse.duckdb")
    output = tmp_path / "out" / "report.html"
    assert main(["--database", str(database), "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert output.exists()
    assert f"[1/{len(SECTIONS)}] At a glance" in printed
    assert "not built: marts.segment_migration does not exist (" in printed
    assert re.search(r"built \(\d+\.\d\d s\)", printed)
    assert re.search(r"wrote .*report\.html \(\d+\.\d MB\) in \d+\.\d s", printed)


def test_cli_fails_clearly_without_a_warehouse(tmp_path, capsys):
    assert main(["--database", str(tmp_path / "missing.duckdb")]) == 2
    assert "no warehouse at" in capsys.readouterr().err
