"""A dbt process that parses the project once and then runs one command after another.

dbt spends seconds parsing the project before every command. Tests that build many small shops
(the property test of tests/end_to_end/test_build_invariants.py) send each command to one worker
process that keeps the parsed manifest (dbtRunner(manifest=...)), so only the first command
pays for the parse. Vars that node configs read at parse time (the segmentation settings,
start_over, retrain) keep the values of the parse; vars read by the SQL (raw_data_path,
as_of_date, customer_attributes) may change from one command to the next. raw_data_path is also
read at parse time by the Python models' config, as the fit's input_source: a test that reads
input_source parses with each path (tests/end_to_end/test_pipeline_model_choice.py). A later
`parse` command parses again, with its vars, and its manifest serves the commands after it
(tests/end_to_end/test_pipeline_models.py, one parse per algorithm in one process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import REPO_ROOT, DbtRun

WAREHOUSE_FILE = "warehouse.duckdb"

_WORKER = r"""
import contextlib, io, json, os, sys, time
from dbt.cli.main import dbtRunner
from customer_segmentation.cli import close_dbt_duckdb

replies = os.fdopen(int(sys.argv[1]), "w")
base_environment = dict(os.environ)
manifest = None
for line in sys.stdin:
    request = json.loads(line)
    os.environ.clear()
    os.environ.update(base_environment)
    os.environ.update(request.get("env", {}))
    messages = []
    # A parse starts from nothing: given a manifest, dbtRunner would keep it and not parse.
    if request["args"][0] == "parse":
        manifest = None
    runner = dbtRunner(manifest=manifest, callbacks=[lambda e: messages.append(e.info.msg)])
    started = time.perf_counter()
    printed = io.StringIO()  # dbt's console lines and what the Python models print
    try:
        with contextlib.redirect_stdout(printed):
            outcome = runner.invoke(request["args"])
    except BaseException as error:  # report it; the next request still runs
        reply = {
            "success": False,
            "output": repr(error),
            "printed": printed.getvalue(),
            "nodes": {},
            "seconds": 0,
        }
        print(json.dumps(reply), file=replies, flush=True)
        continue
    if request["args"][0] == "parse" and outcome.success:
        manifest = outcome.result
    # so that the caller can open the warehouse file between commands
    close_dbt_duckdb()
    nodes = {}
    for result in getattr(outcome.result, "results", None) or []:
        node = result.node
        metadata = getattr(node, "test_metadata", None)
        nodes[node.unique_id] = {
            "name": node.name,
            "resource_type": str(node.resource_type),
            "status": str(result.status),
            "failures": result.failures,
            "message": str(result.message or ""),
            "attached_node": getattr(node, "attached_node", None),
            "test_name": metadata.name if metadata else None,
        }
    reply = {
        "success": outcome.success,
        "seconds": round(time.perf_counter() - started, 2),
        "output": "\n".join(str(m) for m in messages) + "\n" + str(outcome.exception or ""),
        "printed": printed.getvalue(),
        "nodes": nodes,
    }
    print(json.dumps(reply), file=replies, flush=True)
"""


@dataclass(frozen=True)
class DbtResult:
    """One dbt command's outcome: success, log text, each node's status, and what the command
    printed (dbt's console lines and the Python models' own lines, such as the segment model's
    decision, which are no dbt events)."""

    success: bool
    seconds: float
    output: str
    printed: str
    nodes: dict[str, dict]

    def problems(self) -> dict[str, str]:
        """Nodes that did not pass (a warning passes), by name, with dbt's message."""
        return {
            node["name"]: f"{node['status']}: {node['message']}"
            for node in self.nodes.values()
            if node["status"] not in ("pass", "success", "warn", "no-op", "skipped")
        }


class DbtWorker:
    """A long-lived dbt process: start() parses with the given vars, run() sends a command."""

    def __init__(self, work_dir: Path, parse_vars: dict):
        self.work_dir = work_dir
        self.common = [
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ]
        # Replies come through a pipe of their own: dbt and the Python models print to stdout.
        read_end, write_end = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(write_end)],
            pass_fds=(write_end,),
            cwd=REPO_ROOT,
            env={
                **os.environ,
                "DBT_PROFILES_DIR": str(REPO_ROOT),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            },
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        os.close(write_end)
        self.replies = os.fdopen(read_end)
        (work_dir / "parse").mkdir(parents=True, exist_ok=True)
        parsed = self.run(["parse"], parse_vars, work_dir / "parse" / WAREHOUSE_FILE)
        if not parsed.success:
            self.close()
            raise RuntimeError(f"dbt parse failed:\n{parsed.output[-3000:]}")

    def run(
        self, args: list[str], variables: dict, database: Path, env: dict | None = None
    ) -> DbtResult:
        """Run one dbt command with these vars against this DuckDB file, which must be named
        WAREHOUSE_FILE: the parsed manifest names the database after the file. `env` adds
        environment variables for this command only (the profile is read again each command)."""
        assert database.name == WAREHOUSE_FILE, database
        # No manifest.json and run_results.json after each command (about 1 s of a 4 MB manifest
        # each time): the replies carry what the tests read. The parse writes them.
        no_json = [] if args[0] == "parse" else ["--no-write-json"]
        request = {
            "args": [*args, "--vars", json.dumps(variables), *self.common, *no_json],
            "env": {**(env or {}), "DBT_DUCKDB_PATH": str(database)},
        }
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.replies.readline()
        if not line:
            raise RuntimeError(f"the dbt worker stopped (exit code {self.process.poll()})")
        return DbtResult(**json.loads(line))

    def dbt_run(
        self, args: list[str], variables: dict, database: Path, check: bool = True
    ) -> DbtRun:
        """run(), as the helpers.DbtRun a dbt subprocess gives (run_dbt): its output is the log
        and what the command printed; a failed command fails the test unless check is False."""
        result = self.run(args, variables, database)
        run = DbtRun(database, 0 if result.success else 1, result.output + result.printed)
        if check and not result.success:
            pytest.fail(f"dbt {args[0]} failed:\n{run.output[-5000:]}")
        return run

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)
        self.replies.close()
