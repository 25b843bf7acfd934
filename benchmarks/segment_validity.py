"""Do the default segments beat the RFM grid? Measured on real builds at several cut-off dates.

For every data set and as_of_date given, the script builds the project into a fresh DuckDB file
(`dbt build` of everything marts.segment_validation needs, tests excluded), then reads:

- from marts.segment_validation / segment_models / segment_model_selection: churn and spend eta²
  of the chosen segments, the RFM grid and recency quartiles on the time hold-out, the ratios to
  the grid, k, stability, and whether every segment has a name and a rule;
- two references computed here on the same hold-out customers (intermediate.
  int_segment_validation_sample, with the prediction features and purchase model outputs of
  int_customers_prediction_features): the previous default (unweighted K-means, k by silhouette
  in 3..8, refitted on the hold-out's features), and the churn ceiling, the best churn eta² any
  11 groups of these customers can reach from every feature known at the cutoff, estimated
  cross-fitted and in-sample (churn_ceiling.py);
- with --compare-methods, the methods tried for issue 16 (docs/decisions.md), each with 10 or 11
  groups, fitted on the hold-out's features (supervised ones, such as the churn model behind the
  two-level designs, learn from the window one horizon earlier, as the product's weights do)
  and judged on its outcomes (compare_methods).

--warehouses DIR keeps every build in DIR and measures a build already there instead of building
it again.

    .venv/bin/python benchmarks/segment_validity.py \\
        --data demo=data/demo --as-of demo=2026-07-15,2026-06-01 \\
        --data online_retail=data/online_retail --as-of online_retail=2011-12-10,2011-11-01

Writes benchmarks/results/segment-validity/latest.md (committed) and latest.json (raw, kept
local). Everything here is outside the product; it only reads what a build wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from churn_ceiling import churn_ceiling, optimal_groups
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from customer_segmentation.prediction.churn_value import (
    add_purchase_model_features,
    fit_prediction,
    fit_purchase_models,
    predict,
)
from customer_segmentation.segmentation.model import fit_segmentation
from customer_segmentation.segmentation.preprocessing import apply_scaling, fit_scaling
from customer_segmentation.segmentation.validation import (
    LabelledWindow,
    outcome_weights,
    validity_metrics,
)
from customer_segmentation.settings import (
    DEFAULT_CLUSTERING_FEATURES,
    DEFAULT_LOG1P_FEATURES,
    PredictionSettings,
    SegmentationSettings,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "segment-validity"
SELECT = [
    "+segment_validation",
    "+segment_model_selection",
    "+segment_explanations",
    "+segment_summary",
]


def build(data: str, as_of: str, work: Path) -> Path:
    """dbt build (no tests) of what the validation marts need, into a fresh warehouse."""
    # No dash in the file name: it becomes the database name, which dbt does not quote everywhere.
    database = work / f"{Path(data).name}_{as_of.replace('-', '')}.duckdb"
    # Built under another name and renamed when complete: a kept build is always a whole one.
    building = database.with_name(f"{database.stem}_building.duckdb")
    building.unlink(missing_ok=True)
    variables = {"raw_data_path": data, "as_of_date": as_of, "export_path": str(work / "exports")}
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--exclude-resource-type",
        "test",
        "unit_test",
        "--select",
        *SELECT,
        "--vars",
        json.dumps(variables),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    environment = {
        **os.environ,
        "DBT_DUCKDB_PATH": str(building),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
    }
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"dbt build failed for {data} at {as_of}:\n{completed.stdout[-3000:]}")
    building.replace(database)
    return database


def previous_default(sample: pd.DataFrame) -> dict[str, float | None]:
    """The default before issue 16: unweighted K-means on the default features, k by silhouette
    in 3..8, fitted on the hold-out's features and judged on its outcomes."""
    holdout = LabelledWindow.from_sample(sample, "training")
    settings = SegmentationSettings(
        k_min=3,
        k_max=8,
        k_selection="silhouette",
        feature_weighting="none",
    )
    model = fit_segmentation(holdout.frame, settings, str(holdout.cutoff_date))
    figures = validity_metrics(model.labels, holdout.churned, holdout.spend)
    return {"k": model.clustering.k, **figures}


# Columns of the hold-out frame that are not features known at its cutoff.
_NOT_FEATURES = {
    "cutoff_role",
    "cutoff_date",
    "customer_id",
    "outcome_end_date",
    "is_churned",
    "next_period_net_spend",
    "sample_rank",
    "first_order_date",
    "last_order_date",
}


def _all_features(frame: pd.DataFrame) -> np.ndarray:
    """Every feature known at the cutoff as numbers (text columns as category codes; trees can
    split on them), for the churn ceiling."""
    columns = []
    for name in frame.columns:
        if name in _NOT_FEATURES:
            continue
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce").astype(float)
        else:
            codes = pd.factorize(values.astype(str), sort=True)[0]
            numbers = pd.Series(codes, index=values.index).astype(float).where(values.notna())
        if numbers.notna().any():
            columns.append(numbers.to_numpy())
    return np.column_stack(columns)


def churn_ceilings(holdout: pd.DataFrame) -> dict[str, float]:
    """The estimated best churn eta² of 11 groups from every feature known at the hold-out's
    cutoff (benchmarks/churn_ceiling.py): cross-fitted estimate, in-sample, in-sample with
    cuts on the outcomes."""
    estimate = churn_ceiling(
        _all_features(holdout), holdout["is_churned"].astype(float).to_numpy(), groups=11
    )
    return {
        "churn_ceiling_cross_fitted": estimate.cross_fitted,
        "churn_ceiling_in_sample": estimate.in_sample,
        "churn_ceiling_in_sample_outcome_cuts": estimate.in_sample_outcome_cuts,
        "churn_ceiling_features": int(_all_features(holdout).shape[1]),
        "churn_ceiling_model": estimate.model,
    }


def prediction_windows(connection: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The churn model's examples of the hold-out (training) and the window one horizon earlier
    (evaluation): the prediction features at the cutoff, the purchase model's outputs from the
    purchase model fitted at that cutoff (no outcomes), and the outcomes after it."""
    examples = connection.sql(
        "select features.*, labelled.is_churned, labelled.next_period_net_spend "
        "from intermediate.int_customers_prediction_features as features "
        "inner join intermediate.int_customers_churn_labelled as labelled "
        "on features.cutoff_role = labelled.cutoff_role "
        "and features.customer_id = labelled.customer_id "
        "order by features.cutoff_role, features.customer_id"
    ).df()
    settings = PredictionSettings()
    purchase_models = fit_purchase_models(examples, settings)
    return {
        role: add_purchase_model_features(
            examples[examples["cutoff_role"] == role].reset_index(drop=True),
            purchase_models[role].model,
            settings.horizon_days,
        )
        for role in ("training", "evaluation")
    }


COMPARED_GROUPS = 10


def _scaled(frame: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The product's scaling (log1p, median, max(IQR / 1.349, sd), clip 5), fitted on reference."""
    scaling = fit_scaling(reference, columns, [c for c in columns if c in DEFAULT_LOG1P_FEATURES])
    return apply_scaling(frame, scaling.parameters)


def _ranks(frame: pd.DataFrame, reference: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Mid-rank percentiles of each column within the reference (a quantile transform)."""
    result = []
    for column in columns:
        sorted_values = np.sort(reference[column].astype(float).fillna(0.0).to_numpy())
        values = frame[column].astype(float).fillna(0.0).to_numpy()
        low = np.searchsorted(sorted_values, values, "left")
        high = np.searchsorted(sorted_values, values, "right")
        result.append((low + high) / 2 / len(sorted_values))
    return np.column_stack(result)


def _kmeans(x: np.ndarray, k: int = COMPARED_GROUPS) -> np.ndarray:
    return KMeans(k, n_init=10, random_state=42).fit(x).labels_


def _tiers_then_clusters(
    churn_probability: np.ndarray, x: np.ndarray, clusters_per_tier: tuple[int, ...]
) -> np.ndarray:
    """Two levels: churn-risk tiers first (the optimal 1-D grouping of the churn probability into
    len(clusters_per_tier) intervals, lowest risk first), then K-means clusters of x inside each
    tier (clusters_per_tier[t] of them; 1: the tier is one segment)."""
    tiers = optimal_groups(np.round(churn_probability, 3), len(clusters_per_tier))
    labels = np.zeros(len(x), dtype=int)
    for tier, clusters in enumerate(clusters_per_tier):
        members = tiers == tier
        count = min(clusters, int(members.sum()))
        if count > 1:
            labels[members] = tier * 100 + _kmeans(x[members], count)
        else:
            labels[members] = tier * 100
    return labels


def supervised_churn_probability(windows: dict[str, pd.DataFrame]) -> pd.Series:
    """The project's supervised churn probability of the hold-out customers (by customer_id): the
    churn model (prediction.fit_prediction, default settings) fitted on the window one horizon
    earlier and applied to the hold-out's features, as the product's evaluation does."""
    fitted = fit_prediction(windows["evaluation"], PredictionSettings())
    scored = predict(fitted, windows["training"])
    return scored.set_index("customer_id")["churn_probability"]


def compare_methods(
    sample: pd.DataFrame, windows: dict[str, pd.DataFrame]
) -> dict[str, dict[str, float | None]]:
    """Churn and spend eta² of each method on the hold-out (see the module docstring)."""
    holdout = LabelledWindow.from_sample(sample, "training")
    supervised = (
        supervised_churn_probability(windows)
        .reindex(holdout.frame["customer_id"].astype(str))
        .to_numpy()
    )
    purchase_model = (
        windows["training"]
        .set_index(windows["training"]["customer_id"].astype(str))[
            "purchase_model_churn_probability"
        ]
        .reindex(holdout.frame["customer_id"].astype(str))
        .to_numpy(dtype=float)
    )
    earlier = LabelledWindow.from_sample(sample, "evaluation")
    test, fit = holdout.frame, earlier.frame
    columns = [
        c for c in DEFAULT_CLUSTERING_FEATURES if test[c].notna().any() and fit[c].notna().any()
    ]
    x_test, x_fit = _scaled(test, test, columns), _scaled(fit, test, columns)
    weights, _, _ = outcome_weights(x_fit, earlier.churned, earlier.spend)
    churn_score = LogisticRegression(max_iter=2000).fit(x_fit, earlier.churned)
    value_score = Ridge(alpha=1.0).fit(x_fit, earlier.spend)
    scores = np.column_stack([x_test @ churn_score.coef_[0], x_test @ value_score.coef_])
    scores = (scores - scores.mean(axis=0)) / scores.std(axis=0)
    rank_fit, rank_test = _ranks(fit, test, columns), _ranks(test, test, columns)
    risk = LogisticRegression(max_iter=2000).fit(rank_fit, earlier.churned)
    tree = DecisionTreeRegressor(
        max_leaf_nodes=COMPARED_GROUPS, min_samples_leaf=max(20, len(fit) // 50), random_state=0
    ).fit(
        np.nan_to_num(x_fit),
        np.column_stack(
            [earlier.churned / earlier.churned.std(), earlier.spend / earlier.spend.std()]
        ),
    )
    recency_tier = pd.qcut(test["recency_days"].rank(method="first"), 3, labels=False).to_numpy()
    two_level = np.zeros(len(test), dtype=int)
    for tier in range(3):
        members = recency_tier == tier
        two_level[members] = tier * 10 + _kmeans(x_test[members] * weights, 3)
    groups = {
        "K-means, unweighted": _kmeans(x_test),
        "K-means on rank (quantile) transforms": _kmeans(rank_test),
        "K-means, features weighted by outcomes (default)": _kmeans(x_test * weights),
        "K-means on features and churn / value scores": _kmeans(
            np.column_stack([x_test * 0.5, 3 * scores])
        ),
        "two levels: recency terciles x 3 weighted clusters (9)": two_level,
        "decision tree on next-period churn and spend": tree.apply(np.nan_to_num(x_test)),
        "churn-risk tiers (logistic score, 10 quantile bins)": pd.qcut(
            risk.predict_proba(rank_test)[:, 1], COMPARED_GROUPS, labels=False, duplicates="drop"
        ),
        "churn-risk tiers (supervised churn probability, 10 optimal intervals)": optimal_groups(
            np.round(supervised, 3), COMPARED_GROUPS
        ),
        "two levels: 4 supervised churn-risk tiers x 4/3/2/1 weighted clusters (10)": (
            _tiers_then_clusters(supervised, x_test * weights, (4, 3, 2, 1))
        ),
        "two levels: 3 supervised churn-risk tiers x 5/4/1 weighted clusters (10)": (
            _tiers_then_clusters(supervised, x_test * weights, (5, 4, 1))
        ),
        "two levels: 4 supervised churn-risk tiers x 3/3/3/2 weighted clusters (11)": (
            _tiers_then_clusters(supervised, x_test * weights, (3, 3, 3, 2))
        ),
        "two levels: 4 purchase-model churn-risk tiers x 4/3/2/1 weighted clusters (10)": (
            _tiers_then_clusters(
                np.nan_to_num(purchase_model, nan=1.0), x_test * weights, (4, 3, 2, 1)
            )
        ),
        "RFM grid (11 labels)": test["rfm_segment_id"].to_numpy(),
    }
    return {
        name: validity_metrics(labels, holdout.churned, holdout.spend)
        for name, labels in groups.items()
    }


def measure(database: Path, with_methods: bool = False) -> dict:
    """The figures of one build (see the module docstring)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        model = connection.sql("select * from marts.segment_models where is_current").df().iloc[0]
        validation = connection.sql(
            "select method, metric, value from marts.segment_validation "
            "where is_current_model and is_chosen"
        ).df()
        chosen = connection.sql(
            "select stability from marts.segment_model_selection "
            "where is_current_model and is_chosen"
        ).df()
        named = connection.sql(
            "select count(*) as segments, count(segment_name) as named from marts.segment_summary"
        ).df()
        rules = connection.sql(
            "select count(distinct segment_id) as explained from marts.segment_explanations"
        ).df()
        sample = connection.sql(
            "select * from intermediate.int_segment_validation_sample order by customer_id"
        ).df()
        windows = prediction_windows(connection)
    figures = validation.pivot_table(index="method", columns="metric", values="value")
    previous = previous_default(sample)
    holdout = LabelledWindow.from_sample(sample, "training").frame
    extra = windows["training"].drop(
        columns=[
            c for c in windows["training"].columns if c in holdout.columns and c != "customer_id"
        ]
    )
    holdout = holdout.merge(extra.astype({"customer_id": str}), on="customer_id", how="left")
    row = {
        "as_of_date": str(pd.Timestamp(model["training_as_of_date"]).date()),
        "validation_cutoff_date": str(pd.Timestamp(model["validation_cutoff_date"]).date()),
        "customers": int(model["training_customers"]),
        "holdout_customers": int((sample["cutoff_role"] == "training").sum()),
        "k": int(model["k"]),
        "stability": float(chosen["stability"].iloc[0]),
        "segments_named": bool(named["named"].iloc[0] == named["segments"].iloc[0]),
        "segments_with_rules": int(rules["explained"].iloc[0]),
        "beats_rfm_grid": bool(model["beats_rfm_grid"]),
        "previous_default_k": previous["k"],
        "previous_default_churn_eta_squared": previous["churn_eta_squared"],
        "previous_default_spend_eta_squared": previous["spend_eta_squared"],
        **churn_ceilings(holdout),
    }
    if with_methods:
        row["methods"] = compare_methods(sample, windows)
    for method in ("segments", "rfm_grid", "recency_quartiles"):
        for metric in ("churn_eta_squared", "spend_eta_squared"):
            row[f"{method}_{metric}"] = float(figures.loc[method, metric])
    return row


def markdown(rows: list[dict]) -> str:
    """The target table: per data set and cut-off, eta² of the three groupings and the ratios."""
    lines = [
        "| data set | as_of_date | hold-out cutoff | hold-out customers | k | stability | "
        "churn eta² segments / grid / quartiles | churn ratio | spend eta² segments / grid / "
        "quartiles | spend ratio | beats grid by 15% | previous default (k, churn, spend) | "
        "churn ceiling, 11 groups (cross-fitted estimate; ratio to grid) |",
        "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | --- | ---: | --- | --- | ---: |",
    ]
    for row in rows:
        churn_ratio = row["segments_churn_eta_squared"] / row["rfm_grid_churn_eta_squared"]
        spend_ratio = row["segments_spend_eta_squared"] / row["rfm_grid_spend_eta_squared"]
        lines.append(
            f"| {row['data_set']} | {row['as_of_date']} | {row['validation_cutoff_date']} | "
            f"{row['holdout_customers']:,} | {row['k']} | {row['stability']:.2f} | "
            f"{row['segments_churn_eta_squared']:.3f} / {row['rfm_grid_churn_eta_squared']:.3f} / "
            f"{row['recency_quartiles_churn_eta_squared']:.3f} | {churn_ratio:.2f} | "
            f"{row['segments_spend_eta_squared']:.3f} / {row['rfm_grid_spend_eta_squared']:.3f} / "
            f"{row['recency_quartiles_spend_eta_squared']:.3f} | {spend_ratio:.2f} | "
            f"{'yes' if row['beats_rfm_grid'] else 'no'} | {row['previous_default_k']}, "
            f"{row['previous_default_churn_eta_squared']:.3f}, "
            f"{row['previous_default_spend_eta_squared']:.3f} | "
            f"{row['churn_ceiling_cross_fitted']:.3f} "
            f"({row['churn_ceiling_cross_fitted'] / row['rfm_grid_churn_eta_squared']:.2f}) |"
        )
    return "\n".join(lines) + "\n"


CEILING_NOTE = """
How to read it: no grouping of customers made from their features explains more churn than
grouping them by their churn probability given those features, cut into the best 11 intervals
(docs/decisions.md, "How much churn any 11 segments can explain"). Cross-fitted: that
probability estimated by a model that never saw the customer, so the figure is achievable by a
grouping of the features (a low estimate of the ceiling; the model learns from other customers'
outcomes in the same window, which a segmentation made at the cutoff cannot). In-sample, and
in-sample with the interval boundaries placed on the outcomes: the model has seen the outcomes,
so these are optimistic. "Reachable?" is yes when the cross-fitted figure reaches 1.15 times the
grid, "not by an honest segmentation" when only the optimistic figures do, and "no" when none
does.
"""


def ceiling_markdown(rows: list[dict]) -> str:
    """Per cut-off: the grid's churn eta², the target (1.15 times it), the segments' and the
    estimated best of any 11 groups (benchmarks/churn_ceiling.py), each with its ratio to the
    grid, and whether the target is within reach."""
    lines = [
        "| data set | as_of_date | features | grid | target (1.15 x grid) | segments | "
        "ceiling, cross-fitted | ceiling, in-sample | ceiling, in-sample with cuts on outcomes "
        "| 15% on churn reachable? |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        grid = row["rfm_grid_churn_eta_squared"]
        target = 1.15 * grid
        estimate = row["churn_ceiling_cross_fitted"]
        optimistic = row["churn_ceiling_in_sample_outcome_cuts"]
        if estimate >= target:
            verdict = "yes"
        elif max(row["churn_ceiling_in_sample"], optimistic) < target:
            verdict = "no (even the optimistic figures fall short)"
        else:
            verdict = "not by an honest segmentation (only figures that saw the outcomes reach it)"
        cells = [
            f"{value:.3f} ({value / grid:.2f})"
            for value in (
                row["segments_churn_eta_squared"],
                estimate,
                row["churn_ceiling_in_sample"],
                optimistic,
            )
        ]
        lines.append(
            f"| {row['data_set']} | {row['as_of_date']} | {row['churn_ceiling_features']} | "
            f"{grid:.3f} | {target:.3f} | " + " | ".join(cells) + f" | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def methods_markdown(rows: list[dict]) -> str:
    """Per method: churn and spend eta² / the RFM grid's, at each cut-off (docs/decisions.md)."""
    names = list(rows[0]["methods"])
    cutoffs = [f"{row['data_set']} {row['as_of_date']}" for row in rows]
    lines = [
        "| method (10 groups) | " + " | ".join(cutoffs) + " |",
        "| --- |" + " ---: |" * len(cutoffs),
    ]
    for name in names:
        cells = []
        for row in rows:
            grid = row["methods"]["RFM grid (11 labels)"]
            figures = row["methods"][name]
            cells.append(
                f"{figures['churn_eta_squared'] / grid['churn_eta_squared']:.2f} / "
                f"{figures['spend_eta_squared'] / grid['spend_eta_squared']:.2f}"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", required=True, help="NAME=PATH")
    parser.add_argument("--as-of", action="append", required=True, help="NAME=DATE,DATE,...")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--compare-methods", action="store_true")
    parser.add_argument(
        "--warehouses",
        type=Path,
        help="keep each build's DuckDB file in this folder, and measure a file already there "
        "instead of building it again (to change only the measurements)",
    )
    arguments = parser.parse_args(argv)
    data = dict(item.split("=", 1) for item in arguments.data)
    dates = {name: text.split(",") for name, text in (i.split("=", 1) for i in arguments.as_of)}
    rows = []
    with tempfile.TemporaryDirectory(prefix="segment-validity-") as directory:
        work = (arguments.warehouses or Path(directory)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        for name, path in data.items():
            for as_of in dates[name]:
                started = time.perf_counter()
                database = work / f"{Path(path).name}_{as_of.replace('-', '')}.duckdb"
                if arguments.warehouses is None or not database.exists():
                    database = build(path, as_of, work)
                # One thread: OpenMP threads of the fits waited for each other on a shared
                # machine (a churn model fit took 40 times longer).
                with threadpool_limits(1):
                    row = {"data_set": name, **measure(database, arguments.compare_methods)}
                rows.append(row)
                if arguments.warehouses is None:
                    database.unlink()
                print(
                    f"{name} {as_of}: k={row['k']} churn {row['segments_churn_eta_squared']:.3f} "
                    f"vs grid {row['rfm_grid_churn_eta_squared']:.3f}, spend "
                    f"{row['segments_spend_eta_squared']:.3f} vs "
                    f"{row['rfm_grid_spend_eta_squared']:.3f} "
                    f"({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    arguments.output.mkdir(parents=True, exist_ok=True)
    (arguments.output / "latest.json").write_text(json.dumps(rows, indent=2, default=float) + "\n")
    text = markdown(rows)
    text += (
        "\nThe best churn eta² any 11 groups of these customers can reach "
        "(benchmarks/churn_ceiling.py; ratio to the grid):\n\n"
        + ceiling_markdown(rows)
        + CEILING_NOTE
    )
    if arguments.compare_methods:
        text += (
            "\nMethods compared on the same hold-outs (churn eta² / grid's, spend eta² / "
            "grid's):\n\n" + methods_markdown(rows)
        )
    (arguments.output / "latest.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
