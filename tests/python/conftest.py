"""Shared helpers for the end-to-end tests: build the dbt project into a temporary warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


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
            command,
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
