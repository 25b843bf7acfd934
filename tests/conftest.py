"""Session fixtures shared by tests/unit and tests/end_to_end (helpers: tests/helpers.py)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import DEMO_CUSTOMERS, DEMO_SEED, ONLINE_RETAIL, REPO_ROOT, DbtRun, run_dbt


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """A demo shop of DEMO_CUSTOMERS customers, written once per test run (all workers read it)."""
    from demo.shop import generate_shop

    def write(directory: Path) -> None:
        generate_shop(directory, n_customers=DEMO_CUSTOMERS, seed=DEMO_SEED)

    return made_once(tmp_path_factory, "demo_shop", write)


@pytest.fixture(scope="session")
def demo_build(demo_data, tmp_path_factory) -> DbtRun:
    """The whole project built once per test run on the demo shop. Every worker reads the same
    warehouse: tests open it read-only and copy it before changing it (DuckDB lets many
    processes read a file but only one write it)."""
    return built_once(
        tmp_path_factory,
        "demo_build",
        lambda work: run_dbt(work, {"raw_data_path": str(demo_data)}),
    )


@pytest.fixture(scope="session")
def online_retail_build(tmp_path_factory) -> DbtRun:
    """UCI Online Retail, converted by the documented example script and built once with the
    default vars (read it; copy it before changing it). Skipped where the data is not present."""
    if not ONLINE_RETAIL.exists():
        pytest.skip(f"real data not present: {ONLINE_RETAIL} (set SHARED_DATA_DIR)")

    def build(work: Path) -> DbtRun:
        raw = work / "raw"
        raw.mkdir(parents=True)
        subprocess.run(
            [
                sys.executable,
                str(REPO_ROOT / "examples" / "online_retail" / "convert.py"),
                "--input",
                str(ONLINE_RETAIL),
                "--output",
                str(raw),
            ],
            check=True,
            capture_output=True,
        )
        return run_dbt(work, {"raw_data_path": str(raw)})

    return built_once(tmp_path_factory, "online_retail", build)


def made_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder filled by `make(folder)` once per test run. Under pytest-xdist the first worker
    that asks fills a folder that all workers of the run share; the others wait for it (a file
    lock) and get the same folder (so only for what tests read, never change)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, above each worker's own
    folder = shared / name
    done = shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


def built_once(tmp_path_factory, name: str, build: Callable[[Path], DbtRun]) -> DbtRun:
    """`build(work_dir)` once per test run (made_once): a build that all workers read."""
    record = "build.json"

    def build_and_record(work: Path) -> None:
        run = build(work)
        saved = {"database": str(run.database), "returncode": run.returncode, "output": run.output}
        (work / record).write_text(json.dumps(saved))

    saved = json.loads((made_once(tmp_path_factory, name, build_and_record) / record).read_text())
    return DbtRun(Path(saved["database"]), saved["returncode"], saved["output"])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` (./run test) hands out the longest file first: tests/scheduling.py."""
    if config.getvalue("dist") != "loadfile":
        return None
    from scheduling import LongestFileFirst

    return LongestFileFirst(config, log)
