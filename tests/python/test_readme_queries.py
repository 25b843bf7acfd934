"""Every example query in the README runs against a demo build and returns columns."""

from __future__ import annotations

import re

import duckdb
import pytest
from conftest import REPO_ROOT

SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)


def readme_queries() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    statements = []
    for block in SQL_BLOCK.findall(text):
        for statement in block.split(";"):
            code = "\n".join(
                line for line in statement.splitlines() if not line.lstrip().startswith("--")
            ).strip()
            if code:
                statements.append(code)
    return statements


def test_the_readme_has_an_example_query_for_every_mart():
    marts = {path.stem for path in (REPO_ROOT / "models" / "marts").rglob("*.sql")}
    # The time spine is MetricFlow's calendar, not a mart anyone queries.
    marts.discard("metricflow_time_spine")
    queried = {name for query in readme_queries() for name in re.findall(r"marts\.(\w+)", query)}
    assert marts <= queried, f"no README query for {sorted(marts - queried)}"


@pytest.mark.parametrize("query", readme_queries(), ids=lambda q: q.split("\n")[0][:60])
def test_readme_query_runs_on_the_demo_build(demo_build, query):
    with duckdb.connect(str(demo_build.database), read_only=True) as connection:
        result = connection.sql(query)
        assert result is not None and len(result.columns) > 0
        result.fetchall()
