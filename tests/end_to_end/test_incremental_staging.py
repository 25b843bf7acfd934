"""Incremental staging of orders and events: a run re-stages only the dates whose input changed,
and the result equals a --full-refresh build of the same input, whatever changed (appended days,
late rows on old days, new versions of old orders, edits in place, rows and whole days removed,
undatable and future rows, changed staging settings)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from helpers import run_dbt

from demo.shop import generate_shop

pytestmark = pytest.mark.dbt

STAGING = (
    "+stg_shop__orders +stg_shop__orders_rejected +stg_shop__events +stg_shop__events_rejected"
)
CHECKED_TABLES = ("stg_shop__orders_checked", "stg_shop__events_checked")
TAMPERED = "tampered by the test"


def build_staging(work_dir: Path, shop: Path, database: Path, *extra: str, **variables):
    return run_dbt(
        work_dir,
        {"raw_data_path": str(shop), **variables},
        extra_arguments=("--select", STAGING, "--indirect-selection", "cautious", *extra),
        database=database,
    )


def checked_rows(database: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.sql(f"select * from staging.{table}").df()
    return rows.sort_values("source_row_key").reset_index(drop=True)


def tamper(database: Path, table: str, source_date: str) -> None:
    """Marks the first row of a date in place, so a test can see whether a run rewrote it."""
    with duckdb.connect(str(database)) as connection:
        connection.execute(
            f"""
            update staging.{table} set raw_customer_id = '{TAMPERED}'
            where source_row_key = (
                select min(source_row_key) from staging.{table}
                where source_date = cast('{source_date}' as date)
            )
            """
        )


def tampered_dates(database: Path, table: str) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        found = connection.sql(
            f"select distinct cast(source_date as varchar) from staging.{table} "
            f"where raw_customer_id = '{TAMPERED}'"
        ).fetchall()
    return {row[0] for row in found}


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype("string")


def change_the_input(shop: Path) -> dict[str, str]:
    """Every kind of change a source system makes between two runs. Returns named dates."""
    orders = pd.read_csv(shop / "orders.csv", dtype=str, keep_default_na=False)
    dates = pd.to_datetime(orders["ordered_at"]).dt.strftime("%Y-%m-%d")
    by_date = orders.groupby(dates).size()
    busy_dates = by_date[by_date >= 4].index.tolist()
    untouched, edited, duplicated, thinned, emptied, versioned = busy_dates[10:16]
    latest = max(dates)

    def order_on(day: str) -> pd.Series:
        return orders[dates == day].iloc[0].copy()

    new_version = order_on(versioned)
    new_version["ordered_at"] = f"{latest} 23:00:00"
    new_version["amount"] = "999.99"
    late_arrival = order_on(untouched).copy()
    late_arrival["order_id"] = "late-1"
    late_arrival["ordered_at"] = "2024-01-02 10:00:00"
    appended = [order_on(latest).copy() for _ in range(3)]
    for number, row in enumerate(appended):
        row["order_id"] = f"new-{number}"
        row["ordered_at"] = f"{latest} 12:0{number}:00"
    undatable = order_on(untouched).copy()
    undatable["order_id"], undatable["ordered_at"] = "undatable-1", "not a date"
    future = order_on(untouched).copy()
    future["order_id"], future["ordered_at"] = "future-1", "2099-01-01 00:00:00"

    orders.loc[orders.index[dates == edited][0], "amount"] = "12.34"
    thinned_rows = orders.index[dates == thinned][:2]
    emptied_rows = orders.index[dates == emptied]
    duplicate_of_old = orders[dates == duplicated].iloc[[1]]
    orders = orders.drop(index=[*thinned_rows, *emptied_rows])
    orders = pd.concat(
        [
            orders,
            duplicate_of_old,
            pd.DataFrame([new_version, late_arrival, *appended, undatable, future]),
        ],
        ignore_index=True,
    )
    orders.to_csv(shop / "orders.csv", index=False)

    events = pd.read_parquet(shop / "events.parquet")
    event_dates = events["event_at"].dt.strftime("%Y-%m-%d")
    event_days = sorted(event_dates.unique())
    event_untouched, event_edited, event_duplicated, event_emptied = (
        event_days[20],
        event_days[30],
        event_days[35],
        event_days[40],
    )
    events.loc[events.index[event_dates == event_edited][0], "duration_seconds"] = 4242
    appended_events = events[event_dates == event_days[-1]].head(5).copy()
    appended_events["event_at"] = appended_events["event_at"] + pd.Timedelta(days=1)
    events = pd.concat(
        [
            events[event_dates != event_emptied],
            events[event_dates == event_duplicated].tail(1),
            appended_events,
        ],
        ignore_index=True,
    )
    events.to_parquet(shop / "events.parquet", index=False)
    return {
        "untouched": untouched,
        "edited": edited,
        "duplicated": duplicated,
        "thinned": thinned,
        "emptied": emptied,
        "versioned": versioned,
        "event_untouched": event_untouched,
        "event_edited": event_edited,
        "event_emptied": event_emptied,
    }


@pytest.fixture(scope="module")
def staged_twice(tmp_path_factory):
    """A shop staged, then changed in every way and staged again incrementally; and the same
    changed shop staged with --full-refresh into a copy."""
    root = tmp_path_factory.mktemp("incremental_staging")
    shop = root / "shop"
    generate_shop(shop, n_customers=300, seed=21)
    orders = pd.read_parquet(shop / "orders.parquet")
    (shop / "orders.parquet").unlink()
    orders.astype("string").to_csv(shop / "orders.csv", index=False)

    incremental_db = root / "incremental.duckdb"
    first = build_staging(root / "first", shop, incremental_db)
    dates = change_the_input(shop)
    for table, untouched, changed in (
        ("stg_shop__orders_checked", dates["untouched"], dates["edited"]),
        ("stg_shop__events_checked", dates["event_untouched"], dates["event_edited"]),
    ):
        tamper(incremental_db, table, untouched)
        tamper(incremental_db, table, changed)
    second = build_staging(root / "second", shop, incremental_db)

    full_db = root / "full.duckdb"
    shutil.copyfile(incremental_db, full_db)
    full = build_staging(root / "full", shop, full_db, "--full-refresh")
    return {
        "shop": shop,
        "root": root,
        "dates": dates,
        "incremental_db": incremental_db,
        "full_db": full_db,
        "runs": (first, second, full),
    }


def without_tampered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["raw_customer_id"] != TAMPERED].reset_index(drop=True)


@pytest.mark.parametrize("table", CHECKED_TABLES)
def test_an_incremental_run_equals_a_full_refresh(staged_twice, table):
    incremental = checked_rows(staged_twice["incremental_db"], table)
    full = checked_rows(staged_twice["full_db"], table)
    # The one row tampered on a date that did not change stays as it was (it was not re-staged);
    # every other row is exactly the full refresh's.
    assert len(incremental) == len(full)
    tampered_key = incremental.loc[incremental["raw_customer_id"] == TAMPERED, "source_row_key"]
    assert len(tampered_key) == 1
    assert tampered_key.iloc[0] in set(full["source_row_key"])
    keep = ~incremental["source_row_key"].isin(tampered_key)
    pd.testing.assert_frame_equal(
        as_text(incremental[keep].reset_index(drop=True)),
        as_text(
            full[full["source_row_key"].isin(incremental.loc[keep, "source_row_key"])].reset_index(
                drop=True
            )
        ),
    )


def test_only_changed_dates_are_restaged(staged_twice):
    dates = staged_twice["dates"]
    database = staged_twice["incremental_db"]
    assert tampered_dates(database, "stg_shop__orders_checked") == {dates["untouched"]}
    assert tampered_dates(database, "stg_shop__events_checked") == {dates["event_untouched"]}


def test_the_changes_are_staged_by_the_rules(staged_twice):
    orders = checked_rows(staged_twice["incremental_db"], "stg_shop__orders_checked")
    dates = staged_twice["dates"]
    assert not (orders["source_date"].astype(str) == dates["emptied"]).any()
    outcome = orders.assign(outcome=orders["rejection_reason"].fillna("kept"))
    outcomes = outcome.groupby("order_id")["outcome"].apply(sorted)
    assert outcomes["new-0"] == ["kept"]
    assert outcomes["late-1"] == ["kept"]
    assert outcomes["undatable-1"] == ["unparseable_ordered_at"]
    assert outcomes["future-1"] == ["future_ordered_at"]
    versioned_id = orders.loc[orders["amount"].astype(str) == "999.99", "order_id"].iloc[0]
    assert outcomes[versioned_id] == ["conflicting_duplicate_order_id", "kept"]
    # The old version was filed on a date that did not change: it was re-staged by its key.
    old_version = outcome[(outcome["order_id"] == versioned_id) & (outcome["outcome"] != "kept")]
    assert old_version["source_date"].astype(str).tolist() == [dates["versioned"]]
    duplicated_day = outcome[outcome["source_date"].astype(str) == dates["duplicated"]]
    assert (duplicated_day["outcome"] == "duplicate_row").sum() == 1
    edited_day = outcome[outcome["source_date"].astype(str) == dates["edited"]]
    # The edited order is kept: its new amount is staged (raw text is kept for rejected rows only).
    assert "12.34" in edited_day["amount"].astype(str).tolist()


def test_a_rerun_without_changes_changes_nothing(staged_twice):
    database = staged_twice["incremental_db"]
    before = {table: checked_rows(database, table) for table in CHECKED_TABLES}
    build_staging(staged_twice["root"] / "rerun", staged_twice["shop"], database)
    for table in CHECKED_TABLES:
        pd.testing.assert_frame_equal(
            as_text(checked_rows(database, table)), as_text(before[table])
        )


def test_changed_staging_settings_restage_every_date(staged_twice, tmp_path):
    database = tmp_path / "settings.duckdb"
    shutil.copyfile(staged_twice["incremental_db"], database)
    full_database = tmp_path / "settings_full.duckdb"
    shutil.copyfile(staged_twice["incremental_db"], full_database)
    settings = {"max_order_amount": 500}
    build_staging(tmp_path / "incremental", staged_twice["shop"], database, **settings)
    build_staging(
        tmp_path / "full", staged_twice["shop"], full_database, "--full-refresh", **settings
    )
    incremental = checked_rows(database, "stg_shop__orders_checked")
    full = checked_rows(full_database, "stg_shop__orders_checked")
    assert (incremental["rejection_reason"] == "implausible_amount").sum() > 0
    pd.testing.assert_frame_equal(
        as_text(without_tampered(incremental)), as_text(without_tampered(full))
    )
