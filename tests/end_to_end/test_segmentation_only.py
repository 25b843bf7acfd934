"""The segmentation-only run (selector segmentation_only in selectors.yml, `customer-segmentation
build --segmentation-only`): it builds the segments and their tests, nothing else, and gives the
full build's segments on the same data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import run_dbt

from customer_segmentation import cli

SELECTOR = ["--selector", "segmentation_only"]


@pytest.fixture(scope="module")
def segmentation_only(demo_data, tmp_path_factory):
    work = tmp_path_factory.mktemp("segmentation_only")
    run = run_dbt(work, {"raw_data_path": str(demo_data)}, extra_arguments=tuple(SELECTOR))
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return run, results


@pytest.mark.dbt
def test_same_segments_as_the_full_build(demo_build, segmentation_only):
    run, _ = segmentation_only
    columns = "customer_id, segment_id, segment_name, as_of_date, model_id, distance_to_centroid"
    full = demo_build.query(f"select {columns} from marts.customer_segments order by customer_id")
    alone = run.query(f"select {columns} from marts.customer_segments order by customer_id")
    assert len(full) > 1000
    assert full["segment_id"].nunique() > 1
    assert alone.equals(full)
    metrics = "select k, silhouette, training_customers from ml.segment_model_metrics"
    assert run.query(metrics).equals(demo_build.query(metrics))
    # Means and z-scores are DuckDB parallel sums of doubles: equal up to their last bits, as two
    # full builds are.
    for mart, key in (
        ("segment_summary", "segment_id"),
        ("segment_profiles", "segment_id, feature"),
        ("segment_explanations", "segment_id, rule_rank"),
    ):
        query = f"select * from marts.{mart} order by {key}"
        pd.testing.assert_frame_equal(
            run.query(query), demo_build.query(query), check_exact=False, rtol=1e-9
        )


@pytest.mark.dbt
def test_builds_the_segments_and_not_the_rest(segmentation_only):
    run, results = segmentation_only
    built = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    for name in (
        "stg_shop__orders_checked",
        "stg_shop__orders_rejected",
        "int_customer_features",
        "segment_model_fit",
        "segment_model_history",
        "int_customers_segmented",
        "customer_segments",
        "segment_summary",
        "segment_profiles",
    ):
        assert name in built
    for name in ("customer_scores_fit", "customer_scores", "campaign_audiences", "customer_risk"):
        assert name not in built
    listed = run.query(
        "select table_schema || '.' || table_name as name from information_schema.tables"
    )
    tables = set(listed["name"])
    assert "marts.customer_scores" not in tables
    assert "marts.segment_monitoring" not in tables


@pytest.mark.dbt
def test_runs_the_tests_of_the_selected_nodes(segmentation_only):
    _, results = segmentation_only
    tests = [r for r in results if r["unique_id"].startswith(("test.", "unit_test."))]
    names = {r["unique_id"] for r in tests}
    assert any("unique_customer_segments_customer_id" in name for name in names)
    assert any(name.startswith("unit_test.") for name in names)
    assert len(tests) > 100
    assert all(r["status"] == "pass" for r in tests), [
        (r["unique_id"], r["status"]) for r in tests if r["status"] != "pass"
    ]


def test_command_line_flag_selects_the_selector(monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "run_build", lambda variables, extra: calls.append((variables, extra)))
    monkeypatch.setattr(cli, "print_summary", lambda database: None)
    cli.main(["build", "--segmentation-only", "--vars", '{"as_of_date": "2026-01-01"}'])
    cli.main(["build", "--segmentation-only", "--threads", "1"])
    cli.main(["build"])
    assert calls == [
        ({"as_of_date": "2026-01-01"}, SELECTOR),
        ({}, [*SELECTOR, "--threads", "1"]),
        ({}, []),
    ]
