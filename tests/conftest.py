"""Session fixtures shared by tests/unit and tests/end_to_end (helpers: tests/helpers.py)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import DEMO_CUSTOMERS, DEMO_SEED, ONLINE_RETAIL, REPO_ROOT, DbtRun, run_dbt


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """A demo shop of DEMO_CUSTOMERS customers, written once per test session."""
    from demo.shop import generate_shop

    directory = tmp_path_factory.mktemp("demo_shop")
    generate_shop(directory, n_customers=DEMO_CUSTOMERS, seed=DEMO_SEED)
    return directory


@pytest.fixture(scope="session")
def demo_build(demo_data, tmp_path_factory) -> DbtRun:
    """The whole project built once on the demo shop (read it; copy it before changing it).
    Under pytest-xdist each worker that needs it builds its own: a test of it may open the
    warehouse for writing (`dbt docs generate`), which would lock out readers in another worker."""
    return run_dbt(tmp_path_factory.mktemp("demo_build"), {"raw_data_path": str(demo_data)})


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


def built_once(tmp_path_factory, name: str, build: Callable[[Path], DbtRun]) -> DbtRun:
    """`build(work_dir)` once per test run. Under pytest-xdist the first worker that asks builds
    into a folder that all workers of the run share; the others wait for it and read the same
    warehouse (so only for builds that tests read, never change)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return build(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # the run's folder, above each worker's own
    record = shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not record.exists():
            run = build(shared / name)
            record.write_text(
                json.dumps(
                    {
                        "database": str(run.database),
                        "returncode": run.returncode,
                        "output": run.output,
                    }
                )
            )
        saved = json.loads(record.read_text())
    return DbtRun(Path(saved["database"]), saved["returncode"], saved["output"])
