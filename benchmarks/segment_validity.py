"""Do the default segments beat the RFM grid? Measured on real builds at several cut-off dates.

For every data set and as_of_date given, the script builds the project into a fresh DuckDB file
(`dbt build` of everything marts.segment_validation needs, tests excluded), then reads:

- from marts.segment_validation / segment_models / segment_model_selection: churn and spend eta²
  of the chosen segments, the RFM grid and recency quartiles on the time hold-out, the ratios to
  the grid, k, stability, and whether every segment has a name and a rule;
- two references computed here on the same hold-out customers (intermediate.
  int_segment_validation_sample): the previous default (unweighted K-means, k by silhouette in
  3..8, refitted on the hold-out's features), and the in-sample ceiling of churn eta² for 11
  groups (a decision tree with 11 leaves fitted on the hold-out's own churn outcomes: it sees the
  answers, so no honest segmentation of 11 groups is likely to do better);
- with --compare-methods, the methods tried for issue 16 (docs/decisions.md), each with 10
  groups, fitted on the hold-out's features (supervised ones learn from the window one horizon
  earlier, as the product's weights do) and judged on its outcomes: METHODS below.

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
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeRegressor

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
        "DBT_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
    }
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"dbt build failed for {data} at {as_of}:\n{completed.stdout[-3000:]}")
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


def churn_ceiling(sample: pd.DataFrame, leaves: int = 11) -> float | None:
    """Churn eta² of 11 groups fitted on the hold-out's own churn (an upper reference)."""
    holdout = LabelledWindow.from_sample(sample, "training")
    columns = [c for c in DEFAULT_CLUSTERING_FEATURES if holdout.frame[c].notna().any()]
    x = holdout.frame[columns].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy()
    tree = DecisionTreeRegressor(max_leaf_nodes=leaves, min_samples_leaf=20, random_state=0)
    groups = tree.fit(x, holdout.churned).apply(x)
    return validity_metrics(groups, holdout.churned, holdout.spend)["churn_eta_squared"]


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


def compare_methods(sample: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """Churn and spend eta² of each method on the hold-out (see the module docstring)."""
    holdout = LabelledWindow.from_sample(sample, "training")
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
    figures = validation.pivot_table(index="method", columns="metric", values="value")
    previous = previous_default(sample)
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
        "churn_ceiling_11_groups": churn_ceiling(sample),
    }
    if with_methods:
        row["methods"] = compare_methods(sample)
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
        "churn ceiling, 11 groups in-sample |",
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
            f"{row['churn_ceiling_11_groups']:.3f} "
            f"({row['churn_ceiling_11_groups'] / row['rfm_grid_churn_eta_squared']:.2f}) |"
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
    arguments = parser.parse_args(argv)
    data = dict(item.split("=", 1) for item in arguments.data)
    dates = {name: text.split(",") for name, text in (i.split("=", 1) for i in arguments.as_of)}
    rows = []
    with tempfile.TemporaryDirectory(prefix="segment-validity-") as directory:
        for name, path in data.items():
            for as_of in dates[name]:
                started = time.perf_counter()
                database = build(path, as_of, Path(directory))
                row = {"data_set": name, **measure(database, arguments.compare_methods)}
                rows.append(row)
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
