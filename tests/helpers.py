"""Helpers shared by the unit and end-to-end tests: build the dbt project into a temporary folder.

The session fixtures that use them (demo_data, demo_build) are in tests/conftest.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The shared data folder beside the repo (real data sets); SHARED_DATA_DIR points elsewhere, e.g.
# from a git worktree that does not sit beside it.
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


@dataclass(frozen=True)
class DbtRun:
    """The outcome of one dbt command against a temporary warehouse."""

    database: Path
    returncode: int
    output: str

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).df()


def run_dbt(
    work_dir: Path,
    variables: dict,
    command: str = "build",
    extra_arguments: tuple[str, ...] = (),
    database: Path | None = None,
    check: bool = True,
) -> DbtRun:
    """Run a dbt command from the repo root into `work_dir` (warehouse, target and logs)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    database = database or work_dir / "warehouse.duckdb"
    # Mart exports go next to the warehouse, never into the repo.
    variables = {"export_path": str(work_dir / "exports"), **variables}
    environment = {
        **os.environ,
        "DBT_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = Path(sys.executable).with_name("dbt")
    completed = subprocess.run(
        [
            str(dbt),
            *command.split(),
            "--vars",
            json.dumps(variables),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            *extra_arguments,
        ],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    run = DbtRun(database, completed.returncode, completed.stdout + completed.stderr)
    if check and completed.returncode != 0:
        tail = "\n".join(run.output.splitlines()[-60:])
        pytest.fail(f"dbt {command} failed (exit {completed.returncode}):\n{tail}")
    return run


ONLINE_RETAIL = SHARED_DATA / "online_retail" / "online_retail.parquet"

DEMO_CUSTOMERS = 3000
DEMO_SEED = 11


# An e-mail address in a text value (the singular test's macros/input/email_pattern.sql).
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)


def has_email_address(value) -> bool:
    """Whether str(value) holds an e-mail address (EMAIL_PATTERN). Values without an @ cannot
    match and are not searched: Python's backtracking search takes time quadratic in the length
    of a long text without spaces (a stored model), minutes over a warehouse."""
    text = str(value)
    return "@" in text and EMAIL_PATTERN.search(text) is not None


def copy_warehouse(run: DbtRun, work_dir: Path) -> Path:
    """A private copy of a built warehouse, for tests that build on top of it."""
    import shutil

    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / "warehouse.duckdb"
    shutil.copyfile(run.database, target)
    return target


def planted_personas(data_dir: Path) -> pd.DataFrame:
    """customer_id (text) and persona of a demo shop."""
    labels = pd.read_parquet(data_dir / "_labels" / "planted_personas.parquet")
    labels["customer_id"] = labels["customer_id"].astype(str)
    return labels


def assert_sql_fit_run_records(run: DbtRun, model_id: str, as_of_date) -> None:
    """A model fitted in SQL (kmeans_sql, rfm_grid) records, as the scikit-learn fitters do, the
    run's decision (a refit, with its reason) and the drift reference of the run's customers."""
    decision = run.query(
        "select * from ml.segment_model_decisions "
        f"where as_of_date = '{pd.Timestamp(as_of_date).date()}'"
    )
    assert decision["model_id"].tolist() == [model_id]
    assert decision["decision"].iloc[0] == "refit"
    assert decision["decision_reason"].iloc[0]
    reference = run.query(
        f"select * from ml.segment_model_drift_reference where model_id = '{model_id}'"
    )
    customers = run.query("select count(*) as n from intermediate.int_customer_features")
    assert not reference.empty
    per_feature = reference.groupby("feature")["reference_customers"].sum()
    assert (per_feature == customers["n"].iloc[0]).all()
