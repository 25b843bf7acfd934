"""Command line: `customer-segmentation demo | build | summary | report | demo-data`.

- demo: write the demo shop (unless already there), run `dbt build`, print the results and
  write the HTML report.
- build: run `dbt build` with extra dbt arguments, then print the results; --segmentation-only
  builds the segments alone (dbt selector segmentation_only, docs/segmentation_only.md).
- summary: print the segment summary of the warehouse.
- backfill: build the pipeline for a list of past dates (monthly or weekly), oldest first, so
  that segment history, migration and monitoring cover them; one progress line per date. The
  dates are built in this process, which parses the dbt project once for all of them.
- report: write the self-contained HTML segment report (see customer_segmentation.report).
- demo-data: write a demo shop of any size (see demo/shop.py; a tool beside the package).
- settings-macro: write macros/settings/settings_declared.sql from the settings classes
  (customer_segmentation.settings), or with --check say whether it is up to date.
- assign: one customer's segment and scores from the current model, without a build
  (see customer_segmentation.assign).
- federated: one K-means over several shops' warehouses that share only per-cluster sums
  (see customer_segmentation.segmentation.federated).
"""

from __future__ import annotations

import argparse
import calendar
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from customer_segmentation.progress import LogFollower

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_WAREHOUSE = "warehouse/customer_segmentation.duckdb"
DEFAULT_DEMO_DIR = "data/demo"
DEMO_MARKER = "_labels/demo_parameters.json"
DEFAULT_REPORT = "reports/segment_report.html"
# selectors.yml: staging, features, fit, scoring and the segment marts, with their tests.
SEGMENTATION_ONLY_SELECTOR = "segmentation_only"
# The one-row model holding a build's as_of_date (the backfill checks it after each date).
AS_OF_DATE_MODEL = "model.customer_segmentation.int_as_of_date"


def warehouse_path() -> Path:
    """The DuckDB file dbt writes to (env DBT_DUCKDB_PATH, as in profiles.yml)."""
    return Path(os.environ.get("DBT_DUCKDB_PATH", DEFAULT_WAREHOUSE))


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def _dbt_executable() -> str:
    beside_python = Path(sys.executable).with_name("dbt")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dbt")
    if found is None:
        raise SystemExit("dbt is not installed in this environment: run ./run demo")
    return found


def _log_file(arguments: list[str]) -> Path:
    """dbt's log file for these arguments (--log-path, else DBT_LOG_PATH, else logs/)."""
    if "--log-path" in arguments:
        return Path(arguments[arguments.index("--log-path") + 1]) / "dbt.log"
    return Path(os.environ.get("DBT_LOG_PATH", "logs")) / "dbt.log"


def _dbt_environment() -> dict[str, str]:
    """The environment dbt runs in: the project's profiles.yml unless DBT_PROFILES_DIR says."""
    return {**os.environ, "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", ".")}


def _with_json_log_file(arguments: list[str]) -> list[str]:
    """The arguments with dbt's log file written as JSON (read for the progress lines), unless
    they set the log format or level themselves."""
    if any(a.startswith("--log-format") or a.startswith("--log-level") for a in arguments):
        return arguments
    return [*arguments, "--log-format-file", "json", "--log-level-file", "info"]


def run_dbt(arguments: list[str]) -> None:
    """Run dbt from the project root with the project's profiles.yml; stop on failure.

    dbt's own lines go to the terminal; its log file is written as JSON, which this command
    reads while dbt runs to print a progress line by node group (customer_segmentation.progress).
    """
    warehouse_path().parent.mkdir(parents=True, exist_ok=True)
    command = [_dbt_executable(), *_with_json_log_file(arguments)]
    _step(" ".join(command))
    started = time.perf_counter()
    log_file = _log_file(arguments)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with LogFollower(log_file, lambda line: _step(f"progress {line}")):
        completed = subprocess.run(command, env=_dbt_environment(), check=False)
    if completed.returncode != 0:
        raise SystemExit(f"dbt {arguments[0]} failed (exit code {completed.returncode})")
    _step(f"dbt {arguments[0]} finished in {time.perf_counter() - started:.1f} s")


def parse_arguments(build_arguments: list[str]) -> list[str]:
    """The dbt build arguments `dbt parse` accepts too (paths, profile, target, ...): without
    the options only a build has (selection, --full-refresh, ...) and their values, as dbt's own
    command definitions list them."""
    from dbt.cli.main import cli

    def names(command: str) -> set[str]:
        return {
            name
            for parameter in cli.commands[command].params
            for name in (*parameter.opts, *parameter.secondary_opts)
        }

    build_only = names("build") - names("parse")
    kept: list[str] = []
    dropping = False
    for argument in build_arguments:
        if argument.startswith("-"):
            dropping = argument.split("=", 1)[0] in build_only
        if not dropping:
            kept.append(argument)
    return kept


class InProcessDbt:
    """dbt commands run in this process on a project parsed once (dbt's programmatic
    invocation, dbtRunner with the parsed manifest). A `dbt build` in a process of its own
    parses the whole project first, and from scratch whenever the vars differ from the last
    parse, as they do from one backfill date to the next.

    The parse reads the vars given to it; the commands may change only vars that are read when
    the SQL is compiled and run (as_of_date), not those read at parse time (node configs: the
    settings groups, raw_data_path, start_over, retrain)."""

    def __init__(self, parse_variables: dict, arguments: list[str]):
        from dbt.cli.main import dbtRunner

        os.environ.update(_dbt_environment())
        warehouse_path().parent.mkdir(parents=True, exist_ok=True)
        parsed = self._invoke(dbtRunner(), "parse", parse_variables, parse_arguments(arguments))
        self.manifest = parsed.result

    def build(self, variables: dict, arguments: list[str]) -> set[str]:
        """dbt build with these vars on the parsed project; stops on failure. Returns the
        unique ids of the models the build ran (a selection may leave any of them out)."""
        from dbt.cli.main import dbtRunner

        outcome = self._invoke(dbtRunner(manifest=self.manifest), "build", variables, arguments)
        return {
            result.node.unique_id
            for result in outcome.result.results
            if result.node.resource_type == "model" and result.status == "success"
        }

    def _invoke(self, runner, command: str, variables: dict, arguments: list[str]):
        args = [command, "--vars", json.dumps(variables), *arguments]
        _step("dbt (in this process) " + " ".join(args))
        started = time.perf_counter()
        log_file = _log_file(args)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            with LogFollower(log_file, lambda line: _step(f"progress {line}")):
                outcome = runner.invoke(_with_json_log_file(args))
        finally:
            close_dbt_duckdb()
        if not outcome.success:
            raise SystemExit(f"dbt {command} failed: {outcome.exception or 'see above'}")
        _step(f"dbt {command} finished in {time.perf_counter() - started:.1f} s")
        return outcome


def close_dbt_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a command, so
    that this process (or another: the test suite's dbt worker, tests/end_to_end/dbt_worker.py)
    can open the warehouse itself (read-only, a configuration DuckDB refuses beside an open
    read-write instance of the same file). dbt-duckdb has no public call that closes it: it
    closes it the same way when its credentials change."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def demo_shop() -> ModuleType:
    """The demo shop generator, demo/shop.py of the project directory (the working directory of
    every command here, as for dbt). It sits beside the package, outside it: only the demo
    commands load it."""
    project = Path.cwd()
    if not (project / "demo" / "shop.py").is_file():
        raise SystemExit(
            f"no demo/shop.py in {project}: run the demo commands from the project directory"
        )
    if str(project) not in sys.path:
        sys.path.insert(0, str(project))
    return importlib.import_module("demo.shop")


def ensure_demo_data(directory: Path, customers: int, seed: int) -> None:
    """Write the demo shop unless the same one is already there."""
    generate_shop = demo_shop().generate_shop
    parameters = {"customers": customers, "seed": seed}
    marker = directory / DEMO_MARKER
    if marker.exists() and json.loads(marker.read_text()) == parameters:
        _step(f"demo data already in {directory} ({customers} customers, seed {seed})")
        return
    _step(f"writing the demo shop to {directory} ({customers} customers, seed {seed})")
    started = time.perf_counter()
    counts = generate_shop(directory, n_customers=customers, seed=seed)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(parameters))
    summary = ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    _step(f"demo data written in {time.perf_counter() - started:.1f} s: {summary}")


def _has_tables(connection, *tables: tuple[str, str]) -> bool:
    """Whether the warehouse holds every one of these (schema, table)."""
    found = connection.sql("select table_schema, table_name from information_schema.tables")
    return set(tables) <= set(found.fetchall())


def run_monitoring(database: Path, as_of_date: date | None = None) -> dict | None:
    """The row of marts.segment_monitoring for as_of_date, by default the last build's date
    (intermediate.int_as_of_date): as_of_date, status, reason, model_id, model_decision; None
    when there is none for that date."""
    import duckdb

    if not database.exists():
        return None
    with duckdb.connect(str(database), read_only=True) as connection:
        if not _has_tables(connection, ("marts", "segment_monitoring")):
            return None
        columns = (
            "select monitoring.as_of_date, monitoring.status, monitoring.reason, "
            "monitoring.model_id, monitoring.model_decision "
            "from marts.segment_monitoring as monitoring "
        )
        if as_of_date is not None:
            rows = connection.execute(
                columns + "where monitoring.as_of_date = ?", [as_of_date]
            ).fetchall()
        elif _has_tables(connection, ("intermediate", "int_as_of_date")):
            rows = connection.sql(
                columns + "inner join intermediate.int_as_of_date as run_date "
                "on monitoring.as_of_date = run_date.as_of_date"
            ).fetchall()
        else:
            return None
    if not rows:
        return None
    as_of_date, status, reason, model_id, decision = rows[0]
    return {
        "as_of_date": as_of_date,
        "status": status,
        "reason": reason,
        "model_id": model_id,
        "model_decision": decision,
    }


def run_build(variables: dict, extra_arguments: list[str] | None = None) -> dict | None:
    """dbt build with these vars; returns this run's monitoring row (run_monitoring)."""
    run_dbt(["build", "--vars", json.dumps(variables), *(extra_arguments or [])])
    return run_monitoring(warehouse_path())


def backfill_dates(start: date, end: date, every: str) -> list[date]:
    """Dates from start to end inclusive, every week, or every month on the start's day of the
    month (a month without that day gets its last day: from 2026-01-31, 2026-02-28 then
    2026-03-31)."""
    if end < start:
        raise SystemExit(f"backfill: --to {end} is before --from {start}")
    if every == "week":
        return [start + timedelta(days=7 * week) for week in range((end - start).days // 7 + 1)]
    dates = []
    year, month = start.year, start.month
    while (current := _day_of_month(year, month, start.day)) <= end:
        dates.append(current)
        year, month = year + month // 12, month % 12 + 1
    return dates


def _day_of_month(year: int, month: int, day: int) -> date:
    """That day of the month, or the month's last day when the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def backfill(dates: list[date], variables: dict, extra_arguments: list[str]) -> None:
    """Build every date in turn, printing one progress line per date. The project is parsed
    once, with the first date, for all of them (InProcessDbt): as_of_date is read only when the
    SQL is compiled."""
    database = warehouse_path()
    dbt = InProcessDbt({**variables, "as_of_date": dates[0].isoformat()}, extra_arguments)
    for index, as_of_date in enumerate(dates, start=1):
        started = time.perf_counter()
        built = dbt.build({**variables, "as_of_date": as_of_date.isoformat()}, extra_arguments)
        if AS_OF_DATE_MODEL in built:
            _check_built_as_of(database, as_of_date)
        status = run_monitoring(database, as_of_date)
        summary = (
            f"model {status['model_id']} ({status['model_decision']}), "
            f"monitoring {status['status']} ({status['reason']})"
            if status
            else "no monitoring row"
        )
        print(
            f"[{index}/{len(dates)}] as_of_date {as_of_date}: built in "
            f"{time.perf_counter() - started:.0f} s; {summary}",
            flush=True,
        )
    print_summary(database)


def _check_built_as_of(database: Path, as_of_date: date) -> None:
    """Stop when the build did not run as of the date asked for (intermediate.int_as_of_date;
    call it only after a build that ran that model: a selection without it leaves an earlier
    date's table): the dates share one parse, which would be wrong as soon as something read
    as_of_date at parse time."""
    import duckdb

    if not database.exists():
        return
    with duckdb.connect(str(database), read_only=True) as connection:
        if not _has_tables(connection, ("intermediate", "int_as_of_date")):
            return
        built_dates = connection.sql(
            "select distinct as_of_date from intermediate.int_as_of_date"
        ).fetchall()
    if [row[0] for row in built_dates] != [as_of_date]:
        raise SystemExit(
            f"backfill: the build for {as_of_date} ran as of "
            f"{', '.join(str(row[0]) for row in built_dates) or 'no date'}: the backfill parses "
            "the project once for all its dates, so as_of_date must be read by the SQL only, "
            "never at parse time (in a config)"
        )


def read_inputs(connection) -> pd.DataFrame | None:
    """What the last build's ingest step found, one row per input table (staging.shop_inputs):
    input, found (where, or why it counts as absent), columns without values. None for a
    warehouse built before the ingest step wrote it."""
    if not _has_tables(connection, ("staging", "shop_inputs")):
        return None
    return connection.sql(
        """
        select
            table_name as input,
            case when is_found then location else problem end as found,
            coalesce(columns_without_values, '') as columns_without_values
        from staging.shop_inputs
        """
    ).df()


def print_summary(database: Path) -> None:
    """Print the model, the segments, the inputs read and the rejected rows of a built warehouse."""
    import duckdb

    if not database.exists():
        raise SystemExit(f"no warehouse at {database}: run a build first")
    with duckdb.connect(str(database), read_only=True) as connection:
        metrics = connection.sql(
            "select model_id, algorithm, as_of_date, k, round(silhouette, 3) as silhouette, "
            "training_customers from ml.segment_model_metrics"
        ).df()
        summary = connection.sql(
            "select segment_id, segment_name, customers, "
            "round(100 * share_of_customers, 1) as pct_customers, "
            "round(100 * share_of_revenue, 1) as pct_revenue, "
            "round(avg_recency_days) as avg_recency_days, round(avg_frequency, 1) as avg_orders, "
            "round(avg_monetary) as avg_spend from marts.segment_summary order by segment_id"
        ).df()
        rejected = connection.sql(
            """
            select 'orders' as input, rejection_reason, count(*) as rows
            from staging.stg_shop__orders_rejected group by all
            union all select 'customers', rejection_reason, count(*)
            from staging.stg_shop__customers_rejected group by all
            union all select 'order_items', rejection_reason, count(*)
            from staging.stg_shop__order_items_rejected group by all
            union all select 'products', rejection_reason, count(*)
            from staging.stg_shop__products_rejected group by all
            union all select 'events', rejection_reason, count(*)
            from staging.stg_shop__events_rejected group by all
            union all select 'reviews', rejection_reason, count(*)
            from staging.stg_shop__reviews_rejected group by all
            order by 1, 3 desc
            """
        ).df()
        inputs = read_inputs(connection)
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print("\nModel")
        print(metrics.to_string(index=False))
        print("\nSegments (marts.segment_summary)")
        print(summary.to_string(index=False))
        if inputs is not None:
            print("\nInputs (staging.shop_inputs)")
            print(inputs.to_string(index=False))
        print("\nRejected input rows (staging.*_rejected)")
        print(rejected.to_string(index=False) if len(rejected) else "none")
    print(
        f"\nResults are in the DuckDB file {database}, schema marts:"
        "\n  marts.customer_segments  one row per customer"
        "\n  marts.segment_summary    one row per segment"
        "\nQuery them from Python:"
        f"\n  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{database}', "
        "read_only=True).sql('select * from marts.segment_summary'))\""
    )


def write_settings_macro(project_root: Path, check: bool = False) -> int:
    """Write (or with check, compare) the project's macros/settings/settings_declared.sql; 1 when
    a check finds it out of date."""
    from customer_segmentation.settings import MACRO_PATH, settings_macro

    path = project_root / MACRO_PATH
    text = settings_macro()
    current = path.read_text() if path.exists() else None
    if check:
        if current != text:
            print(f"{MACRO_PATH} is out of date: run customer-segmentation settings-macro")
            return 1
        print(f"{MACRO_PATH} is up to date")
        return 0
    path.write_text(text)
    print(f"wrote {MACRO_PATH}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `customer-segmentation` command."""
    argv = sys.argv[1:] if argv is None else argv
    # These hand all their arguments to their own parsers.
    if argv and argv[0] == "assign":
        from customer_segmentation.assign import main as assign_main

        return assign_main(argv[1:])
    if argv and argv[0] == "federated":
        from customer_segmentation.segmentation.federated import main as federated_main

        return federated_main(argv[1:])
    if argv and argv[0] == "demo-data":
        return demo_shop().main(argv[1:])
    if argv and argv[0] == "report":
        from customer_segmentation.report import main as report_main

        return report_main(argv[1:])
    parser = argparse.ArgumentParser(prog="customer-segmentation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="demo shop -> dbt build -> results")
    demo.add_argument("--customers", type=int, default=5000)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DEMO_DIR))
    build = commands.add_parser("build", help="dbt build, then print the results")
    build.add_argument("--vars", default="{}", help="dbt vars as JSON or YAML-like JSON")
    build.add_argument(
        "--segmentation-only",
        action="store_true",
        help=f"build only the segments: dbt build --selector {SEGMENTATION_ONLY_SELECTOR} "
        "(staging, features, fit, scoring, segment marts and their tests)",
    )
    back = commands.add_parser("backfill", help="build a list of past dates, oldest first")
    back.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    back.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    back.add_argument("--every", choices=["month", "week"], default="month")
    back.add_argument("--vars", default="{}", help="other dbt vars, as JSON")
    commands.add_parser("summary", help="print the results of the last build")
    commands.add_parser("report", help="write the HTML segment report (see --help)")
    commands.add_parser("demo-data", help="write a demo shop (see --help)")
    declared = commands.add_parser(
        "settings-macro",
        help="write macros/settings/settings_declared.sql from the settings classes",
    )
    declared.add_argument("--check", action="store_true", help="only say whether it is current")
    commands.add_parser("assign", help="one customer's segment and scores now (see --help)")
    commands.add_parser("federated", help="one K-means over several shops (see --help)")
    # Arguments this command does not know are handed to dbt (build and backfill only).
    arguments, dbt_arguments = parser.parse_known_args(argv)
    if dbt_arguments and arguments.command not in ("build", "backfill"):
        parser.error(f"unrecognized arguments: {' '.join(dbt_arguments)}")

    if arguments.command == "summary":
        print_summary(warehouse_path())
        return 0
    if arguments.command == "settings-macro":
        return write_settings_macro(Path.cwd(), check=arguments.check)
    started = time.perf_counter()
    if arguments.command == "backfill":
        dates = backfill_dates(arguments.start, arguments.end, arguments.every)
        backfill(dates, json.loads(arguments.vars), dbt_arguments)
        return 0
    if arguments.command == "demo":
        ensure_demo_data(arguments.data_dir, arguments.customers, arguments.seed)
        run_build({"raw_data_path": str(arguments.data_dir)})
    else:
        if arguments.segmentation_only:
            dbt_arguments = ["--selector", SEGMENTATION_ONLY_SELECTOR, *dbt_arguments]
        run_build(json.loads(arguments.vars), dbt_arguments)
    print_summary(warehouse_path())
    if arguments.command == "demo":
        from customer_segmentation.report import main as report_main

        _step("writing the HTML segment report")
        report_main(["--database", str(warehouse_path()), "--output", DEFAULT_REPORT])
    print(f"\nDone in {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
