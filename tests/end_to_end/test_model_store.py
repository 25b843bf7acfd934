"""The stored model has one declared schema (customer_segmentation.segmentation.model_store): the
Python writer, the SQL writers and the dbt contracts of the model tables are checked against it, and
every record type reads back what was written."""

from __future__ import annotations

import re
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import REPO_ROOT

from customer_segmentation.segmentation.model import fit_segmentation
from customer_segmentation.segmentation.model_store import (
    ARTIFACT_COLUMNS,
    ARTIFACT_SCHEMA,
    PANDAS_TYPES,
    RECORD_CLASSES,
    RECORD_TYPES,
    DecisionRecord,
    PopulationSketchRecord,
    SegmentRecord,
    artifact_table,
    read_previous_model,
    read_stored_models,
    schema_violations,
)
from customer_segmentation.settings import SegmentationSettings

# The models that hold the long artifact table: the run's model (whichever fitter wrote it), the
# SQL fitters, and the registry (which adds artifact_key and recorded_at).
ARTIFACT_MODELS = ("segment_model_artifacts", "segment_model_fit_sql", "segment_model_fit_rfm_grid")
# The marts the exposures read that BI and campaigns key on (issue 19): their columns and types
# are a promise. The other marts the exposures read are reports whose columns may still grow.
CONTRACTED_MARTS = ("customer_segments", "segment_summary", "customer_scores", "campaign_audiences")
DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE"}
MACRO_TYPES = {
    "dbt.type_string()": "string",
    "dbt.type_bigint()": "bigint",
    "type_double()": "double",
}


def _model_properties() -> dict[str, dict]:
    """Every model's properties, from the YAML files of the project."""
    properties = {}
    for path in [*REPO_ROOT.glob("models/**/*.yml"), *REPO_ROOT.glob("python_models/*.yml")]:
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            properties[model["name"]] = model
    return properties


def _contract(model: dict) -> dict[str, str]:
    assert model.get("config", {}).get("contract", {}).get("enforced") is True, model["name"]
    return {column["name"]: column.get("data_type") for column in model["columns"]}


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(3)
    centres = np.array([[5, 1, 50], [60, 8, 900], [200, 2, 80]], dtype=float)
    rows = np.vstack([rng.normal(c, c * 0.1 + 1, size=(120, 3)) for c in centres])
    frame = pd.DataFrame(np.abs(rows), columns=["recency_days", "frequency", "monetary"])
    frame.insert(0, "customer_id", [f"c{i:04d}" for i in range(len(frame))])
    settings = SegmentationSettings(
        numeric_features=("recency_days", "frequency", "monetary"),
        log1p_features=("frequency", "monetary"),
        algorithm="hierarchical",
        k=3,
        stability_resamples=0,
        n_init=2,
    )
    return fit_segmentation(frame, settings, "2026-03-01")


def test_the_python_writer_writes_the_declared_schema(fitted):
    artifacts = fitted.artifacts()
    assert list(artifacts.columns) == ARTIFACT_COLUMNS
    for column, kind in ARTIFACT_SCHEMA.items():
        assert str(artifacts[column].dtype) == PANDAS_TYPES[kind], column
    assert set(artifacts["record_type"]) <= set(RECORD_TYPES)
    # Every record type a fit writes has a record class, and the hierarchical fit writes most.
    assert {"scaling", "centroid", "segment", "k_candidate", "linkage", "parameter"} <= set(
        artifacts["record_type"]
    )


def test_every_record_class_declares_artifact_columns_once():
    assert len(set(RECORD_TYPES)) == len(RECORD_CLASSES)
    for cls in RECORD_CLASSES:
        columns = [cls.column_of(spec.name) for spec in fields(cls)] + list(cls.fixed)
        assert len(columns) == len(set(columns)), cls.__name__
        assert set(columns) <= set(ARTIFACT_COLUMNS) - {"model_id", "record_type"}, cls.__name__


def test_records_read_back_as_they_were_written(fitted):
    artifacts = fitted.artifacts()
    for cls in RECORD_CLASSES:
        frame = cls.frame(artifacts)
        again = artifact_table(fitted.model_id, [cls(**row) for row in frame.to_dict("records")])
        rows = artifacts[artifacts["record_type"] == cls.record_type].reset_index(drop=True)
        pd.testing.assert_frame_equal(again, rows, check_dtype=True)
    sketch = [PopulationSketchRecord(1, "9f8e", 20000.0)]
    decision = [DecisionRecord("action", text="keep"), DecisionRecord("model_age_days", 3.0)]
    table = artifact_table("m", [*sketch, *decision])
    assert table.loc[0, "metric"] == "first_order_day"
    assert table.loc[0, "position"] == 1
    assert PopulationSketchRecord.frame(table).to_dict("records") == [
        {"rank": 1, "population_key": "9f8e", "first_order_day": 20000.0}
    ]


def test_a_fit_keeps_to_the_record_classes_and_a_stray_column_is_named(fitted):
    artifacts = fitted.artifacts()
    assert schema_violations(artifacts) == []
    stray = artifacts.copy()
    stray.loc[stray["record_type"] == "centroid", "text_value"] = "x"
    stray.loc[len(stray), ["model_id", "record_type"]] = [fitted.model_id, "centre"]
    assert schema_violations(stray) == [
        "record type 'centre' has no record class",
        "centroid rows fill text_value "
        f"({(artifacts['record_type'] == 'centroid').sum()} rows), "
        "which CentroidRecord does not hold there",
    ]
    sketch = artifact_table("m", [PopulationSketchRecord(1, "9f8e", 20000.0)])
    assert schema_violations(sketch.assign(metric="first_order_date")) == [
        "population_sketch rows fill metric (1 rows), which PopulationSketchRecord does not hold "
        "there"
    ]
    assert schema_violations(artifacts.drop(columns=["k"])) == ["missing columns: k"]


def test_a_stored_model_reads_back_its_segments_and_previous_model(fitted):
    artifacts = fitted.artifacts().assign(recorded_at=pd.Timestamp("2026-03-02"))
    (stored,) = read_stored_models(artifacts, None)
    previous = read_previous_model(artifacts)
    assert stored.model_id == fitted.model_id == previous.model_id
    assert previous.segment_ids == fitted.segment_ids
    np.testing.assert_allclose(
        stored.segment_values("training_customers", previous.segment_ids),
        fitted.segments.loc[list(previous.segment_ids), "training_customers"].to_numpy(),
    )
    names = SegmentRecord.frame(artifacts).query("attribute == 'segment_name'")
    assert sorted(names["text"]) == sorted(previous.segment_names)
    assert stored.settings_changed(fitted.settings) == []


def test_the_sql_writer_declares_the_same_columns_and_types():
    text = (REPO_ROOT / "macros" / "ml" / "model_artifact_columns.sql").read_text()
    declared = dict(
        (column, MACRO_TYPES[kind])
        for kind, column in re.findall(r"as \{\{ ([a-z_.]+\(\)) \}\}\) as ([a-z_]+)", text)
    )
    assert declared == ARTIFACT_SCHEMA


def test_the_dbt_contracts_of_the_artifact_tables_are_the_declared_schema():
    properties = _model_properties()
    for name in ARTIFACT_MODELS:
        assert _contract(properties[name]) == ARTIFACT_SCHEMA, name
    history = _contract(properties["segment_model_history"])
    assert dict(list(history.items())[: len(ARTIFACT_SCHEMA)]) == ARTIFACT_SCHEMA
    assert list(history)[len(ARTIFACT_SCHEMA) :] == ["artifact_key", "recorded_at"]
    python_model = properties["segment_model_fit"]
    assert [column["name"] for column in python_model["columns"]] == ARTIFACT_COLUMNS
    (record_type,) = [c for c in python_model["columns"] if c["name"] == "record_type"]
    (accepted,) = [
        t["accepted_values"] for t in record_type["data_tests"] if "accepted_values" in t
    ]
    assert sorted(accepted["arguments"]["values"]) == sorted(RECORD_TYPES)


def test_the_model_tables_and_what_the_exposures_read_have_enforced_contracts():
    properties = _model_properties()
    # The fitted model as tables (models/ml/*.sql) and the SQL fitters. segment_model_fit is a
    # dbt Python model: dbt cannot enforce a contract on one, so segment_model_artifacts, which
    # reads it, does. (The kmeans_sql_* models are steps of the SQL fit, not the model.)
    model_tables = {path.stem for path in (REPO_ROOT / "models" / "ml").glob("*.sql")}
    assert {"segment_model_artifacts", "segment_model_history"} <= model_tables
    for name in model_tables | set(ARTIFACT_MODELS):
        _contract(properties[name])
    exposures = yaml.safe_load((REPO_ROOT / "models" / "exposures.yml").read_text())["exposures"]
    read = {
        re.fullmatch(r"ref\('([a-z_]+)'\)", ref).group(1)
        for exposure in exposures
        for ref in exposure["depends_on"]
    }
    assert set(CONTRACTED_MARTS) <= read
    for name in CONTRACTED_MARTS:
        assert all(_contract(properties[name]).values()), name


@pytest.mark.dbt
def test_the_built_artifact_table_has_the_declared_schema(demo_build):
    built = demo_build.query(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'ml' and table_name = 'segment_model_artifacts' "
        "order by ordinal_position"
    )
    assert dict(zip(built["column_name"], built["data_type"], strict=True)) == {
        column: DUCKDB_TYPES[kind] for column, kind in ARTIFACT_SCHEMA.items()
    }


@pytest.mark.dbt
def test_the_built_models_keep_to_the_record_classes(demo_build):
    for table in ("segment_model_artifacts", "segment_model_history"):
        assert schema_violations(demo_build.query(f"select * from ml.{table}")) == [], table
