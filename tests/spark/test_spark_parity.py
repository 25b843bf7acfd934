"""The whole project on local Apache Spark (dbt-spark, session method) against DuckDB.

Needs Java 17+ on PATH and the `spark` extra (dbt-spark[session], pyspark), which ./run test
installs; it takes a few minutes. Without Java it is skipped, loudly.

One small demo shop is written as Parquet files. DuckDB builds the project from the files (the
default input mode); Spark gets the same files loaded as Parquet tables into a raw schema
(dbt run-operation load_shop_tables) and builds from there (var raw_schema). Both use
segmentation_algorithm kmeans_sql, the clustering written in SQL, since dbt-spark runs no dbt
Python models. The DuckDB build is told to run none either (var python_model_adapters = []), so
both take the same path: customer_scores and prediction_evaluation say no_python_models. Then the
two warehouses must agree: every model of the project is built on both, the same rows are kept
and rejected by staging, the same customers have the same features (within a tolerance), the same
model, segments and names, and every mart has the same rows. Spark's tables are read back as
Parquet files with DuckDB, so no second Spark session starts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = int(os.environ.get("SPARK_PARITY_CUSTOMERS", "300"))
SEED = 7
RAW_SCHEMA = "raw_shop"
VARIABLES = {"segmentation_algorithm": "kmeans_sql", "export_path": None}
# Floating-point sums run in another order on each engine: features and scaled values agree to
# about 1e-12; 1e-9 leaves room and still catches every real difference (a day, a cent).
RELATIVE_TOLERANCE = 1e-9

JAVA_MISSING = (
    "SKIPPED THE SPARK PARITY TEST: no `java` on PATH. Spark needs Java 17 or later "
    "(e.g. apt-get install openjdk-17-jre-headless); CI has it, so this must not skip there."
)
pytestmark = [
    pytest.mark.dbt,
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason=JAVA_MISSING),
]


@dataclass(frozen=True)
class Build:
    """A finished build: how to read its relations, and how long it took."""

    engine: str
    seconds: dict[str, float]
    database: Path | None = None
    spark_warehouse: Path | None = None

    def relation(self, schema: str, table: str) -> str:
        """A DuckDB table expression for schema.table of this build."""
        if self.engine == "duckdb":
            return f'"{schema}"."{table}"'
        location = self.spark_warehouse / f"{schema}.db" / table
        return f"read_parquet('{location}/**/*.parquet', hive_partitioning = true)"

    def query(self, sql: str) -> pd.DataFrame:
        database = str(self.database) if self.database else ":memory:"
        with duckdb.connect(database, read_only=self.database is not None) as connection:
            return connection.sql(sql).df()

    def table(self, schema: str, table: str, order_by: str | None = None) -> pd.DataFrame:
        order = f" order by {order_by}" if order_by else ""
        return self.query(f"select * from {self.relation(schema, table)}{order}")


def _dbt(arguments: list[str], environment: dict[str, str], work_dir: Path) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *arguments,
            "--log-path",
            str(work_dir / "logs"),
            "--target-path",
            str(work_dir / "target"),
        ],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "DBT_PROFILES_DIR": str(REPO_ROOT),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            **environment,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        tail = "\n".join(output.splitlines()[-80:])
        pytest.fail(f"dbt {' '.join(arguments[:1])} failed (exit {completed.returncode}):\n{tail}")
    return seconds, output


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    from demo.shop import generate_shop

    directory = tmp_path_factory.mktemp("spark_parity_shop")
    generate_shop(directory, n_customers=CUSTOMERS, seed=SEED)
    return directory


@pytest.fixture(scope="module")
def duckdb_build(shop, tmp_path_factory) -> Build:
    work_dir = tmp_path_factory.mktemp("duckdb_build")
    environment = {"DBT_TARGET": "duckdb", "DBT_DUCKDB_PATH": str(work_dir / "warehouse.duckdb")}
    variables = {**VARIABLES, "raw_data_path": str(shop), "python_model_adapters": []}
    seconds, _ = _dbt(["build", "--vars", json.dumps(variables)], environment, work_dir)
    return Build("duckdb", {"build": seconds}, database=work_dir / "warehouse.duckdb")


@pytest.fixture(scope="module")
def spark_build(shop, tmp_path_factory) -> Build:
    for module in ("pyspark", "dbt.adapters.spark"):
        if importlib.util.find_spec(module) is None:
            pytest.fail(
                f"{module} is not installed: pip install -e '.[dev,spark]' (./run test does)"
            )
    work_dir = tmp_path_factory.mktemp("spark_build")
    environment = {
        "DBT_TARGET": "spark",
        "DBT_SPARK_DIR": str(work_dir / "spark"),
        "DBT_SPARK_SCHEMA": "main",
        "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
    }
    tables = sorted(path.stem for path in shop.glob("*.parquet"))
    load_seconds, _ = _dbt(
        [
            "run-operation",
            "load_shop_tables",
            "--vars",
            json.dumps(VARIABLES),
            "--args",
            json.dumps({"path": str(shop), "schema": RAW_SCHEMA, "tables": tables}),
        ],
        environment,
        work_dir,
    )
    variables = {**VARIABLES, "raw_schema": RAW_SCHEMA}
    build_seconds, output = _dbt(["build", "--vars", json.dumps(variables)], environment, work_dir)
    (work_dir / "build_output.txt").write_text(output)
    return Build(
        "spark",
        {"load": load_seconds, "build": build_seconds},
        spark_warehouse=work_dir / "spark" / "warehouse",
    )


def test_report_run_times(duckdb_build, spark_build):
    times = {"customers": CUSTOMERS, "duckdb": duckdb_build.seconds, "spark": spark_build.seconds}
    print(f"\nrun times (seconds, dbt build incl. data and unit tests): {json.dumps(times)}")
    assert spark_build.seconds["build"] > 0 and duckdb_build.seconds["build"] > 0


def test_every_model_is_built_on_spark(duckdb_build, spark_build):
    """The same relations in every schema on both engines (no model is left out on Spark)."""
    duck = duckdb_build.query(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('staging', 'intermediate', 'ml', 'marts', 'reference') "
        "and table_name not like '%__dbt_tmp%' order by 1, 2"
    )
    spark = sorted(
        (schema, path.name.lower())
        for schema in ("staging", "intermediate", "ml", "marts", "reference")
        if (spark_build.spark_warehouse / f"{schema}.db").is_dir()
        for path in (spark_build.spark_warehouse / f"{schema}.db").iterdir()
        if path.is_dir()
    )
    duck_tables = list(duck.itertuples(index=False, name=None))
    # DuckDB keeps views (ephemeral-free projects have none); Spark's views have no folder.
    views = set(
        duckdb_build.query(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'VIEW'"
        ).itertuples(index=False, name=None)
    )
    assert spark == [table for table in duck_tables if table not in views]
    assert ("ml", "segment_model_fit_sql") in spark


@pytest.mark.parametrize(
    "table", ["orders", "customers", "order_items", "products", "events", "reviews"]
)
def test_staging_keeps_and_rejects_the_same_rows(duckdb_build, spark_build, table):
    def counts(build: Build) -> pd.DataFrame:
        # Kept rows are counted in the checked table: some kept models are views, which this
        # test cannot read from Spark's warehouse files.
        kept = build.query(
            f"select count(*) as n from {build.relation('staging', f'stg_shop__{table}_checked')} "
            "where rejection_reason is null"
        )
        rejected = build.query(
            "select rejection_reason, count(*) as n from "
            f"{build.relation('staging', f'stg_shop__{table}_rejected')} group by 1 order by 1"
        )
        return pd.concat(
            [pd.DataFrame({"rejection_reason": ["(kept)"], "n": kept["n"]}), rejected],
            ignore_index=True,
        )

    pd.testing.assert_frame_equal(counts(spark_build), counts(duckdb_build), check_dtype=False)


def _assert_frames_close(spark: pd.DataFrame, duck: pd.DataFrame, key: list[str]) -> None:
    assert sorted(spark.columns) == sorted(duck.columns)
    spark = spark[duck.columns].sort_values(key).reset_index(drop=True)
    duck = duck.sort_values(key).reset_index(drop=True)
    assert len(spark) == len(duck)
    for column in duck.columns:
        left, right = spark[column], duck[column]
        if pd.api.types.is_bool_dtype(right) or pd.api.types.is_bool_dtype(left):
            assert left.astype("boolean").tolist() == right.astype("boolean").tolist(), column
        elif pd.api.types.is_numeric_dtype(right) or pd.api.types.is_numeric_dtype(left):
            np.testing.assert_allclose(
                pd.to_numeric(left, errors="coerce").astype(float),
                pd.to_numeric(right, errors="coerce").astype(float),
                rtol=RELATIVE_TOLERANCE,
                atol=1e-9,
                err_msg=column,
            )
        elif pd.api.types.is_datetime64_any_dtype(right) or pd.api.types.is_datetime64_any_dtype(
            left
        ):
            assert (pd.to_datetime(left) == pd.to_datetime(right)).all(), column
        else:
            assert (
                left.astype("string").fillna("<null>").tolist()
                == right.astype("string").fillna("<null>").tolist()
            ), column


def test_the_feature_table_is_the_same(duckdb_build, spark_build):
    _assert_frames_close(
        spark_build.table("intermediate", "int_customer_features"),
        duckdb_build.table("intermediate", "int_customer_features"),
        key=["customer_id"],
    )


def test_the_model_is_the_same(duckdb_build, spark_build):
    for table, key in [
        ("segment_model_scaling", ["feature"]),
        ("segment_model_centroids", ["segment_id", "feature"]),
        ("segment_model_segments", ["segment_id"]),
        ("segment_model_metrics", ["model_id"]),
    ]:
        _assert_frames_close(
            spark_build.table("ml", table), duckdb_build.table("ml", table), key=key
        )


def test_every_customer_gets_the_same_segment(duckdb_build, spark_build):
    spark = spark_build.table("marts", "customer_segments")
    duck = duckdb_build.table("marts", "customer_segments")
    assert len(duck) > 0
    assert set(spark["customer_id"]) == set(duck["customer_id"])
    _assert_frames_close(spark, duck, key=["customer_id"])


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("segment_summary", ["segment_id"]),
        ("segment_profiles", ["segment_id", "feature"]),
        ("segment_features", ["feature"]),
        ("segment_fairness", ["segment_id", "attribute", "attribute_value"]),
        ("customer_lifecycle", ["customer_id"]),
        ("customer_scores", ["customer_id"]),
        ("prediction_evaluation", ["method", "metric"]),
    ],
)
def test_marts_are_the_same(duckdb_build, spark_build, table, key):
    spark = spark_build.table("marts", table)
    duck = duckdb_build.table("marts", table)
    # The reason names the adapter ("... which the spark adapter does not run").
    reason = {"prediction_evaluation": "status_reason", "customer_scores": "score_reason"}.get(
        table
    )
    if reason:
        spark[reason] = spark[reason].str.replace("spark adapter", "<adapter>")
        duck[reason] = duck[reason].str.replace("duckdb adapter", "<adapter>")
    _assert_frames_close(spark, duck, key=key)


def test_the_scores_say_why_they_are_missing(spark_build):
    scores = spark_build.table("marts", "customer_scores")
    assert len(scores) > 0
    assert set(scores["score_status"]) == {"no_python_models"}
    assert scores["churn_probability"].isna().all()
    assert scores["score_method"].isna().all()
    assert scores["score_reason"].str.contains("spark adapter does not run").all()
    evaluation = spark_build.table("marts", "prediction_evaluation")
    assert len(evaluation) == 16
    assert set(evaluation["evaluation_status"]) == {"no_python_models"}
    assert evaluation["status_reason"].str.contains("spark adapter does not run").all()


def test_every_mart_has_the_same_number_of_rows(duckdb_build, spark_build):
    marts = duckdb_build.query(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    )["table_name"].tolist()
    differences = {}
    for table in marts:
        rows = [
            build.query(f"select count(*) as n from {build.relation('marts', table)}")["n"].iloc[0]
            for build in (spark_build, duckdb_build)
        ]
        if rows[0] != rows[1]:
            differences[table] = rows
    assert not differences, f"rows (spark, duckdb): {differences}"
