"""How `./run test` hands test files to its pytest-xdist workers (docs/testing.md).

xdist's `--dist loadfile` keeps each file on one worker (so a module's builds are made once) and
hands files out in collection order, two tests ahead. On two cores that order set the end of the
run: a long file handed out late kept one worker busy long after the other had finished. This
scheduler (used by tests/conftest.py for `--dist loadfile`) keeps files whole but hands out the
longest file left whenever a worker is down to its last test (longest processing time first:
both workers then end within about one short file of each other), and keeps the other workers
away from the files that read a session build while one worker makes it (they would only wait
for its file lock).

The costs are seconds of each file in one two-worker run, without the session builds, rounded
(a loaded run: only their ratios matter); a file not listed counts as short. They only order
the work: a wrong figure makes the run slower, never a test wrong.
"""

from __future__ import annotations

from pathlib import Path

from xdist.scheduler import LoadFileScheduling

TESTS = Path(__file__).resolve().parent

# The session builds of tests/conftest.py that all workers share (built_once), with their cost.
# The first file that reads one makes it; a file reads it if its source names the fixture.
SESSION_BUILD_SECONDS = {"demo_build": 180, "online_retail_build": 175}
# Seconds of each file in a two-worker CI run on the shared machine (load 8 to 13, so slower than
# idle; only the ratios matter), without the session builds.
FILE_SECONDS = {
    f"tests/{path}.py": seconds
    for path, seconds in {
        "end_to_end/test_pipeline_models": 860,
        "end_to_end/test_build_invariants": 560,
        "end_to_end/test_bad_input": 525,
        "end_to_end/test_incremental_staging": 440,
        "end_to_end/test_pipeline_monitoring": 330,
        "end_to_end/test_pipeline_inputs": 315,
        "end_to_end/test_pipeline_demo": 300,
        "end_to_end/test_pipeline_activation": 275,
        "end_to_end/test_settings": 195,
        "end_to_end/test_compile_without_data": 155,
        "end_to_end/test_pipeline_model_choice": 140,
        "end_to_end/test_segmentation_only": 125,
        "end_to_end/test_federated": 125,
        "end_to_end/test_scoring_sql": 120,
        "end_to_end/test_assign": 120,
        "end_to_end/test_kmeans_sql": 110,
        "end_to_end/test_pipeline_validation": 100,
        "end_to_end/test_memory_hooks": 100,
        "unit/test_dbt_io": 90,
        "unit/test_purchase_model": 75,
        "unit/test_prediction": 70,
        "unit/test_report_browser": 60,
        "unit/test_online_retail_convert": 50,
        "end_to_end/test_python_models_config": 50,
        "unit/test_report": 45,
        "unit/test_model_choice": 25,
        "unit/test_churn_ceiling": 20,
        "unit/test_segmentation": 15,
        "unit/test_prediction_store": 10,
        "unit/test_clustering": 10,
    }.items()
}
SHORT_FILE_SECONDS = 1


def session_build_readers(tests: Path = TESTS) -> dict[str, frozenset[str]]:
    """For each session build, the test files (node id form: tests/...) that name it."""
    files = {
        path.relative_to(tests.parent).as_posix(): path.read_text(encoding="utf-8")
        for path in tests.rglob("test_*.py")
    }
    return {
        build: frozenset(name for name, text in files.items() if build in text)
        for build in SESSION_BUILD_SECONDS
    }


class LongestFileFirst(LoadFileScheduling):
    """loadfile, with the next file chosen by cost when a worker is down to its last test."""

    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self.readers = session_build_readers()

    def _cost(self, scope: str) -> float:
        seconds = FILE_SECONDS.get(scope, SHORT_FILE_SECONDS)
        for build, readers in self.readers.items():
            if scope in readers and not self._started(build):
                seconds += SESSION_BUILD_SECONDS[build]  # the first reader makes the build
        return seconds

    def _assigned_scopes(self):
        """(file, {node id: done}) of every file handed out so far."""
        return [pair for work in self.assigned_work.values() for pair in work.items()]

    def _started(self, build: str) -> bool:
        return any(scope in self.readers[build] for scope, _ in self._assigned_scopes())

    def _being_built(self, build: str) -> bool:
        """A reader of the build has been handed out and none has finished (the build is there
        once one has)."""
        readers = [done for scope, done in self._assigned_scopes() if scope in self.readers[build]]
        return bool(readers) and not any(all(done.values()) for done in readers)

    def _assign_work_unit(self, node) -> None:
        candidates = list(self.workqueue)
        for build, readers in self.readers.items():
            if self._being_built(build):
                others = [scope for scope in candidates if scope not in readers]
                candidates = others or candidates
        scope = max(candidates, key=self._cost)  # the first collected among equals
        self.workqueue.move_to_end(scope, last=False)
        super()._assign_work_unit(node)

    def _reschedule(self, node) -> None:
        """Hand out the next file only when the worker is down to its last test (which xdist
        holds back until it gets more work or is shut down), not two tests ahead: the choice is
        made as late as possible."""
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) > 1:
            return
        self._assign_work_unit(node)
