"""Progress of a dbt build by node group, for the `customer-segmentation` command.

dbt prints one line per node; on a long build (a million customers: minutes) what a user wants
is where the time goes. The command runs dbt with a JSON log file (--log-format-file json) and
reads its node events while dbt runs: every PROGRESS_INTERVAL_SECONDS it prints one line with the
elapsed time, the nodes done out of the total, and per group (staging, intermediate, ml, marts,
seeds) the nodes finished and their summed time; at the end, the same line as a summary.

A node's group is the first folder of its file under a model path (models/staging/... ->
staging; python_models/ and models/ml/ -> ml); a data test or unit test belongs to the group of
the model it tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PROGRESS_INTERVAL_SECONDS = 20.0
GROUP_ORDER = ("seeds", "staging", "intermediate", "ml", "marts", "other")


def node_group(unique_id: str, node_path: str) -> str:
    """The group of a model or seed from its unique_id and its path under the model path."""
    if unique_id.startswith("seed."):
        return "seeds"
    folder = node_path.split("/", 1)[0] if "/" in node_path else ""
    if folder in ("staging", "intermediate", "ml", "marts"):
        return folder
    if node_path.endswith(".py"):
        return "ml"
    return "other"


@dataclass
class BuildProgress:
    """Node events of one dbt build, summed by group."""

    started: float = field(default_factory=time.monotonic)
    total: int | None = None
    done: int = 0
    groups: dict[str, list[float]] = field(default_factory=dict)
    _model_groups: dict[str, str] = field(default_factory=dict)
    _pending: list[tuple[str, float]] = field(default_factory=list)

    def add(self, event: dict) -> None:
        """Take one event of dbt's JSON log (events other than node results are ignored)."""
        name = event.get("info", {}).get("name")
        if name not in ("LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult"):
            return
        data = event.get("data", {})
        total = data.get("total") or data.get("num_models")
        if total:
            self.total = int(total)
        info = data.get("node_info", {})
        unique_id = str(info.get("unique_id", ""))
        seconds = float(data.get("execution_time") or 0.0)
        if name == "LogTestResult":
            self._pending.append((_tested_model(unique_id, data), seconds))
        else:
            group = node_group(unique_id, str(info.get("node_path", "")))
            self._model_groups[unique_id.split(".")[-1]] = group
            self._count(group, seconds)
        self._settle()
        self.done += 1

    def _count(self, group: str, seconds: float) -> None:
        count_and_seconds = self.groups.setdefault(group, [0.0, 0.0])
        count_and_seconds[0] += 1
        count_and_seconds[1] += seconds

    def _settle(self) -> None:
        """Tests of a model not seen yet (unit tests run before it) wait for it."""
        waiting = []
        for model, seconds in self._pending:
            group = self._model_groups.get(model)
            if group is None:
                waiting.append((model, seconds))
            else:
                self._count(group, seconds)
        self._pending = waiting

    def line(self, final: bool = False) -> str:
        """'1:20 elapsed, 212 of 480 nodes: staging 40 (58.1 s), ...'."""
        for _model, seconds in self._pending if final else ():
            self._count("other", seconds)
        if final:
            self._pending = []
        elapsed = time.monotonic() - self.started
        minutes, seconds = divmod(int(round(elapsed)), 60)
        of_total = f" of {self.total}" if self.total else ""
        parts = [
            f"{group} {int(self.groups[group][0])} ({self.groups[group][1]:.1f} s)"
            for group in GROUP_ORDER
            if group in self.groups
        ]
        head = "finished" if final else "elapsed"
        return f"{minutes}:{seconds:02d} {head}, {self.done}{of_total} nodes: " + (
            ", ".join(parts) or "none yet"
        )


def _tested_model(unique_id: str, data: dict) -> str:
    """The model a data test (attached_node) or unit test (unit_test.<project>.<model>.<name>)
    is about; the test's own name when neither says."""
    attached = data.get("attached_node") or data.get("node_info", {}).get("attached_node")
    if attached:
        return str(attached).split(".")[-1]
    parts = unique_id.split(".")
    if parts[0] == "unit_test" and len(parts) >= 4:
        return parts[2]
    return parts[-1]


class LogFollower:
    """Reads the JSON lines dbt appends to a log file while it runs, in a background thread, and
    prints a progress line every interval."""

    def __init__(
        self,
        log_file: Path,
        say: Callable[[str], None],
        interval: float = PROGRESS_INTERVAL_SECONDS,
    ) -> None:
        self.log_file = log_file
        self.say = say
        self.interval = interval
        self.progress = BuildProgress()
        self._offset = log_file.stat().st_size if log_file.exists() else 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._buffer = ""

    def __enter__(self) -> LogFollower:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read()
        self.say(self.progress.line(final=True))

    def _run(self) -> None:
        next_line = time.monotonic() + self.interval
        while not self._stop.wait(0.5):
            self._read()
            if time.monotonic() >= next_line:
                self.say(self.progress.line())
                next_line += self.interval

    def _read(self) -> None:
        if not self.log_file.exists():
            return
        size = self.log_file.stat().st_size
        if size < self._offset:  # dbt rotated the file
            self._offset = 0
        with self.log_file.open("r", encoding="utf-8", errors="replace") as handle:
            handle.seek(self._offset)
            text = handle.read()
            self._offset = handle.tell()
        lines = (self._buffer + text).split("\n")
        self._buffer = lines.pop()
        for raw in lines:
            try:
                self.progress.add(json.loads(raw))
            except (ValueError, AttributeError, TypeError):
                continue
