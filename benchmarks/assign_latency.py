"""How long one-customer assignment takes (customer_segmentation.assign), on a built warehouse.

Measures, with medians over several repetitions:
- load: creating an Assigner (reading the manifest and the compiled SQL, copying the shop-level
  relations and the stored models out of the warehouse, loading the churn and value models);
- call: one Assigner.assign() of a customer of the build with all their raw rows (orders, order
  items, events, reviews, customer row), over --customers customers, each assigned --repeats
  times; the raw rows are read before the clock starts;
- command: the wall time of `customer-segmentation assign bundle.json` in a new process (Python
  start, imports, load and one call), --command-runs times;
- imports: the wall time of a new process that only imports customer_segmentation.assign;
- stream: `customer-segmentation assign --stream` started once; the time from writing one
  customer's line to reading its answer line, for every customer and repeat as in "call" (the
  answers are compared with the build's like the calls'), and the start-up until the first
  answer.

Every call's answer is compared with the build's marts (segment, distance, churn probability,
expected value, P(alive), expected purchases, the method that scored): a mismatch is reported,
as it would mean the timing is of a wrong answer.

    .venv/bin/python benchmarks/assign_latency.py \
        --warehouse warehouse/customer_segmentation.duckdb --target-path target --data data/demo
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from customer_segmentation.assign import Assigner, _plain

# The columns of marts.customer_segments and marts.customer_scores every answer must equal.
COMPARED = (
    "segment_id",
    "distance_to_centroid",
    "churn_probability",
    "expected_value_next_period",
    "probability_alive",
    "expected_purchases_next_period",
    "score_method",
)


def json_bundle(rows: dict[str, pd.DataFrame]) -> str:
    """A customer's rows as the one-line JSON object the command reads."""
    return json.dumps(
        {
            table: json.loads(frame.to_json(orient="records", date_format="iso"))
            for table, frame in rows.items()
        }
    )


def customer_rows(data_dir: Path, customer_id: str) -> dict[str, pd.DataFrame]:
    """One customer's raw rows of every input the shop has, as the build read them."""
    rows: dict[str, pd.DataFrame] = {}
    own = f"cast(customer_id as varchar) = '{customer_id}'"
    with duckdb.connect() as connection:

        def read(table: str, condition: str) -> pd.DataFrame | None:
            files = [data_dir / f"{table}.{extension}" for extension in ("parquet", "csv")]
            found = next((path for path in files if path.exists()), None)
            if found is None:
                return None
            reader = (
                f"read_parquet('{found}')"
                if found.suffix == ".parquet"
                else f"read_csv('{found}', header = true, all_varchar = true)"
            )
            return connection.sql(f"select * from {reader} where {condition}").df()

        rows["orders"] = read("orders", own)
        order_ids = ", ".join(f"'{value}'" for value in rows["orders"]["order_id"].astype(str))
        for table, condition in (
            ("order_items", f"cast(order_id as varchar) in ({order_ids or 'null'})"),
            ("events", own),
            ("reviews", own),
            ("customers", own),
        ):
            frame = read(table, condition)
            if frame is not None:
                rows[table] = frame
    return rows


def stream_seconds(
    command: list[str], bundles: list[str], repeats: int
) -> tuple[float, list[float], list[dict]]:
    """Start `assign --stream`, send each bundle (one line) repeats times, waiting for each
    answer: (seconds until the first answer, seconds per later answer, the answers)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert process.stdin is not None and process.stdout is not None
    first_answer, times, answers = None, [], []
    for bundle in bundles:
        for _ in range(repeats):
            sent = time.perf_counter()
            process.stdin.write(bundle + "\n")
            process.stdin.flush()
            answers.append(json.loads(process.stdout.readline()))
            if first_answer is None:
                first_answer = time.perf_counter() - started
            else:
                times.append(time.perf_counter() - sent)
    process.stdin.close()
    process.wait(timeout=60)
    return first_answer, times, answers


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse", type=Path, default=Path("warehouse/customer_segmentation.duckdb")
    )
    parser.add_argument("--target-path", type=Path, default=Path("target"))
    parser.add_argument("--data", type=Path, default=Path("data/demo"))
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--command-runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/assign"))
    arguments = parser.parse_args(argv)

    with duckdb.connect(str(arguments.warehouse), read_only=True) as connection:
        build = connection.sql(
            "select segments.customer_id, segments.segment_id, segments.distance_to_centroid, "
            "scores.churn_probability, scores.expected_value_next_period, "
            "scores.probability_alive, scores.expected_purchases_next_period, "
            "scores.score_method "
            "from marts.customer_segments as segments "
            "inner join marts.customer_scores as scores "
            "on segments.customer_id = scores.customer_id "
            f"order by md5(segments.customer_id) limit {arguments.customers}"
        ).df()
        built_customers = connection.sql("select count(*) from marts.customer_segments").fetchall()
    load_before = os.getloadavg()[0]
    load_times = []
    for _ in range(arguments.loads):
        started = time.perf_counter()
        Assigner(arguments.warehouse, arguments.target_path).close()
        load_times.append(time.perf_counter() - started)

    assigner = Assigner(arguments.warehouse, arguments.target_path)
    call_times, cpu_times, mismatches, row_counts = [], [], [], []
    bundles, expected_answers = [], []
    for expected in build.itertuples():
        rows = customer_rows(arguments.data, expected.customer_id)
        bundles.append(json_bundle(rows))
        expected_answers.append([_plain(getattr(expected, column)) for column in COMPARED])
        row_counts.append(sum(len(frame) for frame in rows.values()))
        for _ in range(arguments.repeats):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = assigner.assign(**rows)
            call_times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
        if [getattr(result, column) for column in COMPARED] != expected_answers[-1]:
            mismatches.append(expected.customer_id)
    assigner.close()

    executable = str(Path(sys.executable).with_name("customer-segmentation"))
    stream_start, stream_times, stream_answers = stream_seconds(
        [
            executable,
            "assign",
            "--stream",
            "--warehouse",
            str(arguments.warehouse),
            "--target-path",
            str(arguments.target_path),
        ],
        bundles,
        arguments.repeats,
    )
    for index, customer_id in enumerate(build["customer_id"]):
        answer = stream_answers[index * arguments.repeats]
        if [answer.get(column) for column in COMPARED] != expected_answers[index]:
            mismatches.append(f"{customer_id} (stream)")

    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(scratch) / "customer.json"
        bundle.write_text(bundles[0])
        command_seconds = median_seconds(
            [
                executable,
                "assign",
                str(bundle),
                "--warehouse",
                str(arguments.warehouse),
                "--target-path",
                str(arguments.target_path),
            ],
            arguments.command_runs,
        )
        import_seconds = median_seconds(
            [sys.executable, "-c", "import customer_segmentation.assign"], arguments.command_runs
        )

    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores",
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "warehouse_customers": int(built_customers[0][0]),
        "customers_assigned": len(build),
        "calls": len(call_times),
        "median_input_rows_per_customer": statistics.median(row_counts),
        "load_seconds_median": statistics.median(load_times),
        "call_seconds_median": statistics.median(call_times),
        "call_seconds_p90": sorted(call_times)[int(0.9 * (len(call_times) - 1))],
        "call_cpu_seconds_median": statistics.median(cpu_times),
        "call_seconds_max": max(call_times),
        "command_seconds_median": command_seconds,
        "import_seconds_median": import_seconds,
        "stream_start_seconds": stream_start,
        "stream_answer_seconds_median": statistics.median(stream_times),
        "stream_answer_seconds_p90": sorted(stream_times)[int(0.9 * (len(stream_times) - 1))],
        "stream_answers": len(stream_times),
        "mismatches": mismatches,
    }
    arguments.output.mkdir(parents=True, exist_ok=True)
    (arguments.output / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# One-customer assignment latency",
        "",
        f"Measured {result['measured_at']} by `benchmarks/assign_latency.py` on a warehouse of "
        f"{result['warehouse_customers']:,} customers: {result['customers_assigned']} customers "
        f"of the build, each assigned {arguments.repeats} times with all their raw rows "
        f"(median {result['median_input_rows_per_customer']:.0f} rows). {result['machine']}; "
        f"1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after.",
        "",
        "| what | seconds |",
        "| --- | ---: |",
        f"| create an Assigner (median of {arguments.loads}) "
        f"| {result['load_seconds_median']:.3f} |",
        f"| one call (median of {len(call_times)}) | {result['call_seconds_median']:.3f} |",
        f"| one call, 90th percentile | {result['call_seconds_p90']:.3f} |",
        f"| one call, CPU time of this process (median) | "
        f"{result['call_cpu_seconds_median']:.3f} |",
        f"| one call, slowest | {result['call_seconds_max']:.3f} |",
        f"| `customer-segmentation assign` in a new process (median of {arguments.command_runs}) "
        f"| {result['command_seconds_median']:.3f} |",
        f"| of which a new Python process importing the module (median of "
        f"{arguments.command_runs}) | {result['import_seconds_median']:.3f} |",
        f"| `customer-segmentation assign --stream`: one answer, line in to line out (median of "
        f"{result['stream_answers']}) | {result['stream_answer_seconds_median']:.3f} |",
        f"| `assign --stream`: one answer, 90th percentile "
        f"| {result['stream_answer_seconds_p90']:.3f} |",
        f"| `assign --stream`: start until the first answer "
        f"| {result['stream_start_seconds']:.3f} |",
        "",
        "Answers different from the build's marts: "
        + (", ".join(mismatches) if mismatches else "none")
        + ".",
    ]
    (arguments.output / "latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
