"""`customer-segmentation report`: write the segment report of a built warehouse."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

from customer_segmentation.report.page import (
    DEFAULT_OUTPUT,
    DEFAULT_SAMPLE_SIZE,
    DEFAULT_SEED,
    write_report,
)


def _default_database() -> Path:
    # Imported here: the CLI module imports this one to wire the `report` command.
    from customer_segmentation.cli import warehouse_path

    return warehouse_path()


def main(argv: list[str] | None = None) -> int:
    """Command line: write the segment report of a built warehouse."""
    parser = argparse.ArgumentParser(
        prog="customer-segmentation report",
        description="Write the segment report: one HTML file that opens offline.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help="DuckDB warehouse (default: $DBT_DUCKDB_PATH, else warehouse/customer_segmentation"
        ".duckdb)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="HTML file to write")
    parser.add_argument(
        "--sample-size",
        type=int,
        default=DEFAULT_SAMPLE_SIZE,
        help="customers shown on the segment map (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="projection seed")
    arguments = parser.parse_args(argv)
    database = arguments.database or _default_database()

    def say(message: str) -> None:
        print(message if message.startswith(" ") else f"==> {message}", flush=True)

    started = time.perf_counter()
    try:
        path = write_report(
            database,
            arguments.output,
            sample_size=arguments.sample_size,
            seed=arguments.seed,
            progress=say,
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except duckdb.IOException as error:
        # Typically a dbt build holding the write lock on the same file.
        print(f"error: cannot open {database} read-only: {error}", file=sys.stderr)
        return 2
    size = path.stat().st_size / 1e6
    say(f"wrote {path} ({size:.1f} MB) in {time.perf_counter() - started:.1f} s")
    return 0
