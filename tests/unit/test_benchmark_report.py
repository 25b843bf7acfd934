"""The benchmark script's bookkeeping: which runs it skips, and how skipped or failed runs are
summarised and reported (the measuring itself is exercised by running the benchmark)."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from helpers import REPO_ROOT


@pytest.fixture(scope="module")
def benchmark():
    spec = importlib.util.spec_from_file_location(
        "run_benchmark", REPO_ROOT / "benchmarks" / "run_benchmark.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_benchmark"] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules["run_benchmark"]


def pipeline_run(wall_s: float, rss_gb: float) -> dict:
    return {
        "ok": True,
        "wall_s": wall_s,
        "peak_rss_gb": rss_gb,
        "dbt_parse_s": 10.0,
        "nodes": [
            {
                "unique_id": "model.p.segment_model_fit",
                "name": "segment_model_fit",
                "resource_type": "model",
                "execution_time_s": wall_s / 10,
                "rss_peak_gb": 1.0,
                "rss_growth_gb": 0.1,
            }
        ],
    }


def floor_run(wall_s: float) -> dict:
    return {"ok": True, "wall_s": wall_s, "peak_rss_gb": 1.5, "aggregate_s": wall_s / 2}


def test_reference_is_skipped_only_at_100m_unless_asked(benchmark):
    default = benchmark.parse_arguments(["--sizes", "10m", "--include-100m"])
    forced = benchmark.parse_arguments(["--include-100m", "--reference-at-100m"])
    hundred, ten = benchmark.SIZES["100m"], benchmark.SIZES["10m"]

    assert default.sizes == ["10m", "100m"]
    assert benchmark.skip_reason("reference", hundred, default) == benchmark.REFERENCE_100M_SKIPPED
    assert benchmark.skip_reason("polars", hundred, default) == benchmark.REFERENCE_100M_SKIPPED
    assert benchmark.skip_reason("pipeline", hundred, default) is None
    assert benchmark.skip_reason("floor", hundred, default) is None
    assert benchmark.skip_reason("reference", ten, default) is None
    assert benchmark.skip_reason("reference", hundred, forced) is None
    assert benchmark.skip_reason("polars", ten, default) is None


def test_segmentation_only_is_skipped_only_at_100m_unless_asked(benchmark):
    default = benchmark.parse_arguments(["--sizes", "10m", "--include-100m"])
    forced = benchmark.parse_arguments(["--include-100m", "--segmentation-at-100m"])
    hundred, ten = benchmark.SIZES["100m"], benchmark.SIZES["10m"]

    assert (
        benchmark.skip_reason("segmentation", hundred, default)
        == benchmark.SEGMENTATION_100M_SKIPPED
    )
    assert benchmark.skip_reason("segmentation", ten, default) is None
    assert benchmark.skip_reason("segmentation", hundred, forced) is None


def test_medians_ignore_failed_and_skipped_runs(benchmark):
    runs = [
        {
            "pipeline": pipeline_run(wall, 2.0),
            "reference": {"ok": False, "skipped": "too big"},
            "polars": {"ok": False, "skipped": "too big"},
            "floor": floor_run(wall / 4),
        }
        for wall in (300.0, 100.0)
    ]
    runs.append(
        {
            "pipeline": {"ok": False, "wall_s": 5.0, "peak_rss_gb": 99.0},
            "reference": {"ok": False, "skipped": "too big"},
            "floor": floor_run(1000.0),
        }
    )

    summary = benchmark.summarise_size(benchmark.SIZES["100m"], {"row_counts": {}}, runs)

    assert summary["ok_runs"] == {
        "pipeline": 2,
        "segmentation": 0,
        "reference": 0,
        "polars": 0,
        "floor": 3,
    }
    assert summary["pipeline"]["wall_s"] == 200.0
    assert summary["pipeline"]["peak_rss_gb"] == 2.0
    assert summary["floor"]["wall_s"] == 75.0
    assert summary["reference"]["wall_s"] is None
    assert summary["ratios"]["reference_over_pipeline_time"] is None
    assert summary["ratios"]["pipeline_less_dbt_parse_over_floor_time"] == pytest.approx(190 / 75)
    assert summary["skipped"] == {"reference": "too big", "polars": "too big"}


def test_report_states_the_100m_result_and_why_the_reference_is_missing(benchmark):
    runs = {
        "10m": [
            {
                "pipeline": pipeline_run(350.0, 6.0),
                "reference": {"ok": True, "wall_s": 50.0, "peak_rss_gb": 4.5, "steps": {}},
                "polars": {"ok": True, "wall_s": 40.0, "peak_rss_gb": 3.5, "steps": {}},
                "floor": floor_run(25.0),
            }
        ],
        "100m": [
            {
                "pipeline": pipeline_run(4000.0, 11.0),
                "reference": {"ok": False, "skipped": benchmark.REFERENCE_100M_SKIPPED},
                "polars": {"ok": False, "skipped": benchmark.REFERENCE_100M_SKIPPED},
                "floor": floor_run(300.0),
            }
        ],
    }
    sizes = {
        name: benchmark.summarise_size(
            benchmark.SIZES[name], {"row_counts": {"orders": 1}}, records
        )
        for name, records in runs.items()
    }
    report = {
        "finished_at": "2026-11-28T00:00:00Z",
        "machine": {
            "cores": 2,
            "memory_gb": 24,
            "cpu_model": "test",
            "python": "3.11",
            "versions": {},
        },
        "git": {"commit": "abc", "uncommitted_files": []},
        "code": "head",
        "source_fingerprint": {"start": "f", "end": "f"},
        "options": {
            "runs": 1,
            "runs_100m": 1,
            "threads": None,
            "memory_limit": "8GB",
            "top_nodes": 5,
        },
        "load_average": {"start": [0, 0, 0], "end": [0, 0, 0]},
        "runs": runs,
        "sizes": sizes,
        "scoring": [],
    }
    report["targets"] = benchmark.evaluate_targets(sizes, [])

    text = benchmark.markdown(report)

    hundred = next(t for t in report["targets"] if t["target"].startswith("100m completes"))
    assert hundred["met"] is True and hundred["value"] == 4000.0
    assert "memory_limit 8GB" in hundred["target"]
    hundred_rss = next(t for t in report["targets"] if t["target"].startswith("100m: pipeline"))
    assert hundred_rss["met"] is False and hundred_rss["value"] == 11.0
    assert "## Failed runs" not in text, "runs skipped at 100m did not fail"
    assert f"- 100m: reference not run: {benchmark.REFERENCE_100M_SKIPPED}." in text
    assert "| 100m (no events), 1 runs |" in text
    assert sizes["10m"]["ratios"]["polars_over_pipeline_time"] == pytest.approx(40 / 350)
    ten_memory = next(t for t in report["targets"] if "reference memory" in t["target"])
    assert ten_memory["met"] is False


def test_the_100m_target_holds_only_under_a_duckdb_limit_of_at_most_8gb(benchmark):
    skipped = {"ok": False, "skipped": benchmark.REFERENCE_100M_SKIPPED}
    run = {
        "pipeline": pipeline_run(2000.0, 7.5),
        "reference": skipped,
        "polars": skipped,
        "floor": floor_run(100.0),
    }
    summary = {"100m": benchmark.summarise_size(benchmark.SIZES["100m"], {"row_counts": {}}, [run])}

    def completes(limit):
        targets = benchmark.evaluate_targets(summary, [], limit)
        return next(t for t in targets if t["target"].startswith("100m completes"))

    assert completes(None)["met"] is True
    assert "memory_limit 8GB" in completes(None)["target"]
    assert completes("6GB")["met"] is True
    assert completes("7 GiB")["met"] is True
    assert completes("7.5 GiB")["met"] is False, "8.05e9 bytes: above 8GB (8e9)"
    assert completes("12GB")["met"] is False
    assert completes("80%")["met"] is False, "a limit that is not a size is not known to hold"
    assert benchmark.memory_size_bytes("1500MB") == 1.5e9
    assert benchmark.memory_size_bytes("2GiB") == 2 * 2**30
