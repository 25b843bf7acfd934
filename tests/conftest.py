"""Session fixtures shared by tests/unit and tests/end_to_end (helpers: tests/helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DEMO_CUSTOMERS, DEMO_SEED, DbtRun, run_dbt


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """A demo shop of DEMO_CUSTOMERS customers, written once per test session."""
    from demo.shop import generate_shop

    directory = tmp_path_factory.mktemp("demo_shop")
    generate_shop(directory, n_customers=DEMO_CUSTOMERS, seed=DEMO_SEED)
    return directory


@pytest.fixture(scope="session")
def demo_build(demo_data, tmp_path_factory) -> DbtRun:
    """The whole project built once on the demo shop (read it; copy it before changing it)."""
    return run_dbt(tmp_path_factory.mktemp("demo_build"), {"raw_data_path": str(demo_data)})
