"""The `customer-segmentation` command's own logic, without running dbt."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import duckdb
import pytest

from customer_segmentation import cli
from customer_segmentation.cli import _check_built_as_of, backfill_dates, parse_arguments


def test_the_backfill_parse_keeps_the_arguments_dbt_parse_accepts():
    """backfill parses the project once with the arguments `dbt parse` takes: the selection
    options of the build (with every value, space-separated or after =) and build-only flags
    are left out, paths, profile and target kept in their order."""
    build_arguments = [
        "--target-path",
        "out/target",
        "--select",
        "+customer_segment_history",
        "stg_shop__*_rejected",
        "--exclude",
        "resource_type:test",
        "resource_type:unit_test",
        "--log-path",
        "out/logs",
        "--full-refresh",
        "-s",
        "segment_summary",
        "--selector=segmentation_only",
        "--target",
        "duckdb",
    ]
    assert parse_arguments(build_arguments) == [
        "--target-path",
        "out/target",
        "--log-path",
        "out/logs",
        "--target",
        "duckdb",
    ]
    assert parse_arguments([]) == []


def test_monthly_backfill_dates_keep_the_day_or_take_the_last_day_of_a_shorter_month():
    assert backfill_dates(date(2026, 1, 31), date(2026, 5, 31), "month") == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]
    assert backfill_dates(date(2027, 11, 29), date(2028, 3, 1), "month") == [
        date(2027, 11, 29),
        date(2027, 12, 29),
        date(2028, 1, 29),
        date(2028, 2, 29),
    ]


def test_weekly_backfill_dates_end_on_or_before_the_last_date():
    assert backfill_dates(date(2026, 1, 1), date(2026, 1, 22), "week") == [
        date(2026, 1, 1),
        date(2026, 1, 8),
        date(2026, 1, 15),
        date(2026, 1, 22),
    ]
    assert backfill_dates(date(2026, 1, 1), date(2026, 1, 21), "week")[-1] == date(2026, 1, 15)
    with pytest.raises(SystemExit, match="before --from"):
        backfill_dates(date(2026, 2, 1), date(2026, 1, 1), "month")


def test_a_backfill_build_that_ran_as_of_another_date_stops_the_backfill(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    _check_built_as_of(database, date(2026, 3, 1))  # no warehouse table: nothing to check
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema intermediate")
        connection.execute(
            "create table intermediate.int_as_of_date as select date '2026-03-01' as as_of_date"
        )
    _check_built_as_of(database, date(2026, 3, 1))
    with pytest.raises(SystemExit, match="build for 2026-04-01 ran as of 2026-03-01"):
        _check_built_as_of(database, date(2026, 4, 1))


def _warehouse_of_earlier_dates(database, as_of_date: str, monitored_dates: list[str]) -> None:
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema intermediate")
        connection.execute("create schema marts")
        connection.execute(
            f"create table intermediate.int_as_of_date as select date '{as_of_date}' as as_of_date"
        )
        connection.execute(
            "create table marts.segment_monitoring (as_of_date date, status varchar, "
            "reason varchar, model_id varchar, model_decision varchar)"
        )
        for monitored in monitored_dates:
            connection.execute(
                "insert into marts.segment_monitoring values (?, 'ok', ?, 'm1', 'kept')",
                [monitored, f"row of {monitored}"],
            )


class _BuildOnly:
    """Stands in for InProcessDbt: each build 'runs' these models and nothing else."""

    def __init__(self, models_run: set[str]):
        self.models_run = models_run

    def __call__(self, parse_variables, arguments):
        return self

    def build(self, variables, arguments):
        return self.models_run


def test_a_backfill_whose_selection_leaves_out_the_as_of_date_model_checks_nothing(
    tmp_path, monkeypatch, capsys
):
    """int_as_of_date left from an earlier build (2026-03-01) is not this date's: a selection
    without it must neither stop the backfill nor report that date's monitoring row."""
    database = tmp_path / "warehouse.duckdb"
    _warehouse_of_earlier_dates(database, "2026-03-01", ["2026-03-01", "2026-04-01"])
    monkeypatch.setattr(cli, "warehouse_path", lambda: database)
    monkeypatch.setattr(cli, "print_summary", lambda database: None)

    monkeypatch.setattr(cli, "InProcessDbt", _BuildOnly({"model.customer_segmentation.x"}))
    cli.backfill([date(2026, 4, 1), date(2026, 5, 1)], {}, [])
    output = capsys.readouterr().out
    assert "as_of_date 2026-04-01: built in" in output
    assert "monitoring ok (row of 2026-04-01)" in output
    assert "row of 2026-03-01" not in output
    assert "as_of_date 2026-05-01: built in" in output
    assert output.count("no monitoring row") == 1

    monkeypatch.setattr(cli, "InProcessDbt", _BuildOnly({cli.AS_OF_DATE_MODEL}))
    with pytest.raises(SystemExit, match="build for 2026-04-01 ran as of 2026-03-01"):
        cli.backfill([date(2026, 4, 1)], {}, [])


def test_the_in_process_build_returns_the_models_it_ran(monkeypatch):
    def result(unique_id, resource_type, status):
        return SimpleNamespace(
            node=SimpleNamespace(unique_id=unique_id, resource_type=resource_type), status=status
        )

    outcome = SimpleNamespace(
        result=SimpleNamespace(
            results=[
                result("model.p.built", "model", "success"),
                result("model.p.failed", "model", "error"),
                result("model.p.skipped", "model", "skipped"),
                result("test.p.passed", "test", "pass"),
                result("seed.p.loaded", "seed", "success"),
            ]
        )
    )
    runner = object.__new__(cli.InProcessDbt)
    runner.manifest = None
    monkeypatch.setattr(cli.InProcessDbt, "_invoke", lambda self, *args: outcome)
    assert runner.build({}, []) == {"model.p.built"}
