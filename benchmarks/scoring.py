"""Times the project's SQL scoring model (int_customers_segmented) alone, for N customers.

Two sub-commands, run by run_benchmark.py as separate processes so that only `score` is
measured:

- prepare: a new DuckDB file whose catalogue name matches the built warehouse (same file name),
  holding copies of the model tables (ml.segment_model_scaling, _centroids, _segments) of a built
  warehouse and a synthetic intermediate.int_customer_features of N rows: the built warehouse's
  feature rows repeated cyclically, each copy with a new customer_id. The model (its dimensions
  and centroids) is the real one.
- score: runs the SQL dbt compiled for int_customers_segmented (target/compiled/...) as
  `create table intermediate.int_customers_segmented as ...`, with the profile's DuckDB settings,
  and prints the seconds it took. No dbt in the loop: this is the query alone.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

MODEL_TABLES = ("segment_model_scaling", "segment_model_centroids", "segment_model_segments")


def prepare(source: Path, database: Path, customers: int) -> None:
    """Write the scoring database (see the module docstring)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"attach '{source}' as source_warehouse (read_only)")
        connection.execute("create schema ml")
        connection.execute("create schema intermediate")
        for table in MODEL_TABLES:
            connection.execute(
                f"create table ml.{table} as select * from source_warehouse.ml.{table}"
            )
        connection.execute(
            f"""
            create table intermediate.int_customer_features as
            with source_rows as (
                select *, row_number() over (order by customer_id) - 1 as source_row
                from source_warehouse.intermediate.int_customer_features
            ),
            source_count as (select count(*) as n from source_rows)
            select
                cast(generated.i as varchar) as customer_id,
                source_rows.* exclude (customer_id, source_row)
            from range({int(customers)}) as generated(i)
            cross join source_count
            inner join source_rows
                on source_rows.source_row = generated.i % source_count.n
            """
        )
        connection.execute("detach source_warehouse")


def score(database: Path, compiled_sql: Path, threads: str, memory_limit: str) -> dict:
    """Run the compiled scoring query once; seconds and output rows."""
    sql = compiled_sql.read_text()
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"set threads = {int(threads)}")
        connection.execute(f"set memory_limit = '{memory_limit}'")
        connection.execute("set preserve_insertion_order = false")
        connection.execute("drop table if exists intermediate.int_customers_segmented")
        started = time.perf_counter()
        connection.execute(f"create table intermediate.int_customers_segmented as {sql}")
        seconds = time.perf_counter() - started
        rows = connection.sql("select count(*) from intermediate.int_customers_segmented")
        customers = rows.fetchall()[0][0]
    return {"score_s": round(seconds, 3), "customers": customers}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_parser = commands.add_parser("prepare")
    prepare_parser.add_argument("--source", type=Path, required=True, help="built warehouse")
    prepare_parser.add_argument("--database", type=Path, required=True)
    prepare_parser.add_argument("--customers", type=int, required=True)
    score_parser = commands.add_parser("score")
    score_parser.add_argument("--database", type=Path, required=True)
    score_parser.add_argument("--compiled-sql", type=Path, required=True)
    score_parser.add_argument("--threads", default="2")
    score_parser.add_argument("--memory-limit", default="8GB")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.source, args.database, args.customers)
        return 0
    print(json.dumps(score(args.database, args.compiled_sql, args.threads, args.memory_limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
