"""Build progress by node group (customer_segmentation.progress), from dbt's JSON log events."""

from __future__ import annotations

import json
import re

from customer_segmentation.progress import BuildProgress, LogFollower, node_group


def _model(name: str, path: str, seconds: float, total: int = 7) -> dict:
    return {
        "info": {"name": "LogModelResult"},
        "data": {
            "total": total,
            "execution_time": seconds,
            "node_info": {"unique_id": f"model.shop.{name}", "node_path": path},
        },
    }


def _test(unique_id: str, seconds: float, attached: str | None = None) -> dict:
    data = {"num_models": 7, "execution_time": seconds, "node_info": {"unique_id": unique_id}}
    if attached:
        data["attached_node"] = attached
    return {"info": {"name": "LogTestResult"}, "data": data}


EVENTS = [
    {"info": {"name": "SQLQuery"}, "data": {"sql": "select 1"}},
    # A unit test runs before the model it tests: it waits for the model's group.
    _test("unit_test.shop.int_features.edge_cases", 0.5),
    _model("stg_orders", "staging/stg_orders.sql", 2.0),
    _test("test.shop.not_null_stg_orders_id.1", 0.25, "model.shop.stg_orders"),
    _model("int_features", "intermediate/int_features.sql", 3.0),
    _model("segment_model_fit", "segment_model_fit.py", 10.0),
    _test("test.shop.assert_no_personal_data", 1.0),
]


def test_nodes_and_their_tests_are_summed_by_group():
    progress = BuildProgress()
    for event in EVENTS:
        progress.add(event)
    line = progress.line(final=True)
    assert re.fullmatch(
        r"0:0\d finished, 6 of 7 nodes: staging 2 \(2\.2 s\), intermediate 2 \(3\.5 s\), "
        r"ml 1 \(10\.0 s\), other 1 \(1\.0 s\)",
        line,
    ), line


def test_groups_come_from_the_model_path():
    assert node_group("model.shop.stg_orders", "staging/stg_orders.sql") == "staging"
    assert node_group("model.shop.segment_model_history", "ml/segment_model_history.sql") == "ml"
    assert node_group("model.shop.segment_model_fit", "segment_model_fit.py") == "ml"
    assert node_group("seed.shop.segment_playbook", "segment_playbook.csv") == "seeds"


def test_the_follower_reads_only_what_dbt_appends_and_ends_with_a_summary(tmp_path):
    log_file = tmp_path / "dbt.log"
    log_file.write_text(json.dumps(_model("old", "staging/old.sql", 99.0)) + "\n")
    said = []
    with LogFollower(log_file, said.append, interval=3600), log_file.open("a") as handle:
        for event in EVENTS:
            handle.write(json.dumps(event) + "\n")
    assert len(said) == 1
    assert said[0].startswith("0:0") and "6 of 7 nodes" in said[0]
    assert "99.0" not in said[0]
