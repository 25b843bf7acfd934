"""Federated segmentation on demo shops: generate shops with different seeds, build each with dbt
into a warehouse of its own, fit one K-means over them
(customer_segmentation.segmentation.federated), and measure it against K-means on the pooled rows,
without and with noise.

    .venv/bin/python examples/federated/run_demo.py --shops 3 --customers 5000

Writes a Markdown report (default reports/federated/demo.md) with:
- the shops (customers, eligible customers, build time);
- the federated fit without noise: adjusted Rand index (ARI) and largest centroid difference
  against scikit-learn's K-means on the pooled rows from the same start, numbers shared,
  runtime (median of --timing-runs), and the ARI against pooled K-means with 10 k-means++
  starts (how good the federated start is);
- with noise, per mechanism and epsilon: the ARI against the pooled fit without noise (median
  and range over --noise-runs noise seeds), from the same start as the pooled fit (treated as
  public, so only the noise differs) and from a public random start (the whole fit private).

The pooled reference reads every shop's rows: this script simulates the federation in one
process; in a real one nobody could compute it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from customer_segmentation.cli import demo_shop, run_dbt
from customer_segmentation.segmentation.federated import (
    FederatedSettings,
    Shop,
    compare_with_pooled,
    features_of_shops,
    fit_federated,
    pooled_kmeans,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def build_shop(data_dir: Path, work_dir: Path) -> float:
    """dbt build of one shop into work_dir/warehouse.duckdb (the project's own runner, from the
    repository root); returns the seconds it took."""
    work_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DBT_DUCKDB_PATH"] = str(work_dir / "warehouse.duckdb")
    variables = {"raw_data_path": str(data_dir), "export_path": str(work_dir / "exports")}
    started = time.perf_counter()
    run_dbt(
        [
            "build",
            "--vars",
            json.dumps(variables),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ]
    )
    return time.perf_counter() - started


def labels_of(shops: list[Shop], result) -> np.ndarray:
    return np.concatenate([shop.labels(result.scaling, result.centroids) for shop in shops])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=3)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--first-seed", type=int, default=101)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=Path("warehouse/federated"))
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.5, 1, 2, 5, 10, 50])
    parser.add_argument("--mechanisms", nargs="+", default=["laplace", "gaussian"])
    parser.add_argument("--noise-runs", type=int, default=5)
    parser.add_argument("--timing-runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=Path("reports/federated/demo.md"))
    arguments = parser.parse_args(argv)
    # dbt runs from the repository root; the paths given are taken from where this was started.
    arguments.work_dir = arguments.work_dir.resolve()
    arguments.output = arguments.output.resolve()
    os.chdir(REPO_ROOT)

    shop_rows = []
    paths = []
    for index in range(arguments.shops):
        seed = arguments.first_seed + 101 * index
        data_dir = arguments.work_dir / f"shop_{index + 1}" / "data"
        work_dir = arguments.work_dir / f"shop_{index + 1}"
        marker = data_dir / "_labels" / "demo_parameters.json"
        parameters = {"customers": arguments.customers, "seed": seed}
        built = work_dir / "warehouse.duckdb"
        if not (
            marker.exists() and json.loads(marker.read_text()) == parameters and built.exists()
        ):
            print(f"shop {index + 1}: generating {arguments.customers} customers, seed {seed}")
            demo_shop().generate_shop(data_dir, n_customers=arguments.customers, seed=seed)
            marker.write_text(json.dumps(parameters))
            built.unlink(missing_ok=True)
            seconds = build_shop(data_dir.resolve(), work_dir.resolve())
            print(f"shop {index + 1}: built in {seconds:.0f} s")
        else:
            seconds = float("nan")
        paths.append(built)
        shop_rows.append((index + 1, seed, seconds))

    numeric, log1p = features_of_shops(paths)
    shops = [Shop.from_warehouse(path, name=f"shop_{i + 1}") for i, path in enumerate(paths)]
    settings = FederatedSettings(numeric_features=numeric, log1p_features=log1p, k=arguments.k)

    fits = []
    for _ in range(arguments.timing_runs):
        fits.append(fit_federated(shops, settings))
    plain = fits[-1]
    seconds = statistics.median(fit.seconds for fit in fits)
    comparison = compare_with_pooled(shops, plain)
    reference_labels, _ = pooled_kmeans(shops, plain.scaling, plain.start)
    pooled_rows = np.vstack([shop.scaled_rows_for_evaluation(plain.scaling) for shop in shops])
    best_of_ten = KMeans(n_clusters=arguments.k, n_init=10, random_state=settings.seed)
    best_of_ten_labels = best_of_ten.fit(pooled_rows).labels_
    numbers = plain.shared.groupby("shop")["numbers"].sum()
    print(
        f"no noise: ARI {comparison['same_start_ari']:.4f} against pooled K-means from the same "
        f"start, {plain.iterations} iterations, median {seconds:.3f} s"
    )

    private_rows = []
    for mechanism in arguments.mechanisms:
        for epsilon in arguments.epsilons:
            for start in ("same (public)", "random"):
                aris, times = [], []
                for run in range(arguments.noise_runs):
                    private = replace(
                        settings,
                        epsilon=epsilon,
                        mechanism=mechanism,
                        noise_seed=1000 + run,
                        start="random" if start == "random" else None,
                    )
                    result = fit_federated(
                        shops,
                        private,
                        start_centroids=plain.start if start != "random" else None,
                    )
                    aris.append(adjusted_rand_score(reference_labels, labels_of(shops, result)))
                    times.append(result.seconds)
                private_rows.append(
                    (mechanism, epsilon, start, aris, statistics.median(times), result.privacy)
                )
                print(
                    f"{mechanism} epsilon {epsilon:g}, {start} start: median ARI "
                    f"{statistics.median(aris):.3f} ({min(aris):.3f}-{max(aris):.3f})"
                )
    random_start = fit_federated(shops, replace(settings, start="random"))
    random_start_ari = adjusted_rand_score(reference_labels, labels_of(shops, random_start))

    customers = {shop.name: shop.customers for shop in shops}
    lines = [
        "# Federated segmentation on demo shops",
        "",
        f"{arguments.shops} demo shops of {arguments.customers:,} customers (seeds "
        + ", ".join(str(seed) for _, seed, _ in shop_rows)
        + "), each built with `dbt build` into a warehouse of its own; K-means with "
        f"k = {arguments.k} on the {len(numeric)} clustering features of the builds "
        f"({', '.join(numeric)}). Measured with `examples/federated/run_demo.py` "
        f"on {os.cpu_count()} cores, 1-minute load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| shop | seed | eligible customers | dbt build s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for (_, seed, build_seconds), shop in zip(shop_rows, shops, strict=True):
        lines.append(
            f"| {shop.name} | {seed} | {customers[shop.name]:,} | "
            + ("(built before)" if np.isnan(build_seconds) else f"{build_seconds:.0f}")
            + " |"
        )
    lines += [
        "",
        "## Without noise",
        "",
        "| figure | value |",
        "| --- | ---: |",
        f"| ARI against scikit-learn K-means on the pooled rows from the same start | "
        f"{comparison['same_start_ari']:.4f} |",
        f"| largest centroid difference (scaled units) | "
        f"{comparison['largest_centroid_difference']:.1e} |",
        f"| Lloyd iterations (until no centroid moves) | {plain.iterations} |",
        f"| runtime of the federated fit, median of {arguments.timing_runs} (s) | {seconds:.3f} |",
        "| numbers each shop sent (all rounds) | "
        + ", ".join(f"{shop} {count:,}" for shop, count in numbers.items())
        + " |",
        f"| ARI against pooled K-means with 10 k-means++ starts (same scaled space) | "
        f"{adjusted_rand_score(best_of_ten_labels, reference_labels):.4f} |",
        f"| ARI of the fit from a public random start (no noise) against the pooled fit | "
        f"{random_start_ari:.4f} |",
        "",
        "## With noise",
        "",
        f"ARI against the pooled fit without noise; median (min-max) over {arguments.noise_runs} "
        f"noise seeds; {settings.private_iterations} noisy iterations, "
        f"{settings.scaling_budget_share:.0%} of the budget on the scaling round. "
        "'same (public)': the start of the pooled fit, treated as public (only the noise "
        "differs); 'random': a public random start (every shared number is noisy).",
        "",
        "| mechanism | epsilon | start | ARI median | ARI min-max | fit s (median) |",
        "| --- | ---: | --- | ---: | --- | ---: |",
    ]
    for mechanism, epsilon, start, aris, fit_seconds, _ in private_rows:
        lines.append(
            f"| {mechanism} | {epsilon:g} | {start} | {statistics.median(aris):.3f} | "
            f"{min(aris):.3f}-{max(aris):.3f} | {fit_seconds:.3f} |"
        )
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text("\n".join(lines) + "\n")
    print(f"report written to {arguments.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
