"""The `customer-segmentation` command's own logic, without running dbt."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

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
