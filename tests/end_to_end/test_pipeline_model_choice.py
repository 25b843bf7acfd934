"""End to end: a stored model serves a run only when it is valid for it (same shop, fitted on or
before the run date, same settings), and a warehouse never mixes two shops' history."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from dbt_worker import WAREHOUSE_FILE, DbtWorker
from helpers import DbtRun, copy_warehouse

from demo.shop import generate_shop

pytestmark = pytest.mark.dbt

# The models these tests read (the run date, the model decisions and registry, monitoring,
# history, segments) with their parents, without data tests: those of every model run in the demo
# build (conftest). The model choice is made in segment_model_fit; the churn and purchase scores,
# activation, review-topic, fairness and profile marts (32 of 81 models, among them the
# customer_scores_fit Python model) take no part in it.
MODEL_CHOICE_BUILD = [
    "build",
    "--select",
    "+int_as_of_date",
    "+segment_model_decisions",
    "+segment_models",
    "+segment_monitoring",
    "+customer_segment_history",
    "+customer_segments",
    "--exclude",
    "resource_type:test",
    "resource_type:unit_test",
]
CUSTOMERS = 1200


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    """Two demo shops of the same size and id range, from different seeds: different shops."""
    root = tmp_path_factory.mktemp("shops")
    for name, seed in (("first", 21), ("second", 22)):
        generate_shop(root / name, n_customers=CUSTOMERS, seed=seed)
    return root / "first", root / "second"


class Builds:
    """The builds of this file, each in a dbt process that parses the project once
    (tests/end_to_end/dbt_worker.py) for the vars read at parse time: raw_data_path (the fit's
    input_source) and start_over (the full_refresh of the history tables). Three parses serve
    the six builds; as_of_date is read when the SQL is compiled, so it may change."""

    def __init__(self, work_dir: Path):
        self.work_dir = work_dir
        self.workers: dict[str, DbtWorker] = {}

    def build(self, variables: dict, database: Path, check: bool = True) -> DbtRun:
        parse_vars = {
            "raw_data_path": variables["raw_data_path"],
            "start_over": variables.get("start_over", False),
            "export_path": None,
        }
        key = json.dumps(parse_vars, sort_keys=True)
        if key not in self.workers:
            self.workers[key] = DbtWorker(self.work_dir / f"worker_{len(self.workers)}", parse_vars)
        return self.workers[key].dbt_run(
            MODEL_CHOICE_BUILD, {**variables, "export_path": None}, database, check=check
        )

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    made = Builds(tmp_path_factory.mktemp("model_choice_workers"))
    yield made
    made.close()


@pytest.fixture(scope="module")
def first_shop_built(shops, builds, tmp_path_factory):
    """The first shop built once at its default date: both tests start from a copy of it."""
    shop, _ = shops
    database = tmp_path_factory.mktemp("first_shop_built") / WAREHOUSE_FILE
    return builds.build({"raw_data_path": str(shop)}, database)


def _copy(run, tmp_path):
    """A private copy of a build: the run with its database replaced by the copy."""
    return DbtRun(copy_warehouse(run, tmp_path), run.returncode, run.output)


def _decisions(run):
    return run.query("select * from ml.segment_model_decisions order by as_of_date")


def test_a_model_fitted_later_never_scores_an_earlier_date(
    shops, builds, first_shop_built, tmp_path
):
    shop, _ = shops
    latest = _copy(first_shop_built, tmp_path)
    latest_date = latest.query("select as_of_date from intermediate.int_as_of_date")[
        "as_of_date"
    ].iloc[0]
    earlier = (latest_date - timedelta(days=90)).date()
    back = builds.build({"raw_data_path": str(shop), "as_of_date": str(earlier)}, latest.database)
    assert f"no stored model is valid for {earlier}: 1 fitted after {earlier}" in back.output
    assert f"segment monitoring for {earlier}: ok" in back.output
    again = builds.build({"raw_data_path": str(shop)}, latest.database)
    assert "current model kept" in again.output

    decisions = _decisions(again)
    assert decisions["decision"].tolist() == ["refit", "keep"]
    assert decisions["input_source"].tolist() == [f"files in {shop}"] * 2
    registry = again.query("select * from marts.segment_models order by training_as_of_date")
    assert [d.date() for d in registry["training_as_of_date"]] == [earlier, latest_date.date()]
    # The run of the latest date is scored again with the model fitted on that date.
    assert decisions["model_id"].iloc[-1] == registry["model_id"].iloc[-1]
    monitoring = again.query("select * from marts.segment_monitoring")
    assert (monitoring["model_age_days"] >= 0).all()
    assert (monitoring["model_training_as_of_date"] <= monitoring["as_of_date"]).all()
    history = again.query(
        "select as_of_date, model_id, count(*) as customers from marts.customer_segment_history "
        "group by all order by as_of_date"
    )
    assert history["model_id"].tolist() == registry["model_id"].tolist()


def test_a_second_shop_in_the_same_warehouse_stops_and_can_start_over(
    shops, builds, first_shop_built, tmp_path
):
    first, second = shops
    built = _copy(first_shop_built, tmp_path)
    history_before = built.query("select * from marts.customer_segment_history")

    stopped = builds.build({"raw_data_path": str(second)}, built.database, check=False)
    assert stopped.returncode != 0
    assert "holds the segment models and history of another shop" in stopped.output
    assert "DBT_DUCKDB_PATH" in stopped.output and "start_over: true" in stopped.output
    history_after = stopped.query("select * from marts.customer_segment_history")
    assert len(history_after) == len(history_before), "the stopped run wrote history"

    restarted = builds.build({"raw_data_path": str(second), "start_over": True}, built.database)
    assert "first model fitted: start_over is true" in restarted.output
    registry = restarted.query("select * from marts.segment_models")
    assert len(registry) == 1
    assert registry["fit_decision"].tolist() == ["first_fit"]
    assert registry["previous_model_id"].isna().all(), "names came from the other shop's model"
    assert registry["input_source"].iloc[0] == f"files in {second}"
    history = restarted.query("select * from marts.customer_segment_history")
    segmented = restarted.query("select customer_id from marts.customer_segments")
    assert history["as_of_date"].nunique() == 1
    assert set(history["customer_id"]) == set(segmented["customer_id"])
    assert len(restarted.query("select * from marts.segment_monitoring")) == 1
    assert len(_decisions(restarted)) == 1
    # The next run of the second shop keeps its model.
    rerun = builds.build({"raw_data_path": str(second)}, built.database)
    assert "current model kept" in rerun.output
    assert _decisions(rerun)["decision"].tolist() == ["keep"]
    # input_source is read at parse time: the run must have been parsed with the second shop's
    # path (a worker keyed on start_over alone would have served it the first shop's parse).
    assert _decisions(rerun)["input_source"].tolist() == [f"files in {second}"]
