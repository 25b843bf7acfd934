"""Assign one customer now: segment, distance, churn and value scores from the current model of a
built warehouse, without a build or a refit.

The customer's rows (orders, and when known their order_items, events, reviews and customer
row, in the input contract) go through the project's own SQL: the compiled SQL of the staging
and feature models that the build left in its target directory (manifest.json) is executed, in
dependency order, against a private in-memory DuckDB database that holds only the given rows
under the same relation names. Nothing about features is re-implemented here.

What is recomputed and what is read from the build:

- per customer (recomputed from the given rows): staging of orders, order_items, events,
  reviews and customers, every per-customer feature model, int_customer_features, the
  purchase-day summary (int_customers_purchase_days_summarised), int_customers_prediction_features,
  int_customers_segmented (the scoring rule of the macro score_segments) and the marts
  customer_segments and customer_scores;
- about the shop (read from the build, never recomputed from one customer): the seeds, the
  products, the run date and feature cutoffs (int_as_of_date, int_feature_cutoffs,
  int_prediction_windows), which inputs the shop sent (int_inputs_present), and the stored
  models: ml.segment_model_* and, stored in ml.customer_scores_fit
  (customer_segmentation.prediction.model_store), the models that scored: the supervised churn and
  value models and the probabilistic purchase model fitted at as_of_date, whose outputs are
  features of the supervised models and which scores alone (score_method bgnbd) when the build
  could not fit the supervised ones.

An optional input that is not given is unknown for this customer: the features that need it
are null (the stored model's fill values stand in, as for a shop without that input). Given,
even empty, it is this customer's whole history in it (no rows: no sessions, no reviews).
An input the build did not have is ignored, and the result says so.

The warehouse is opened read-only once, when an Assigner is created: the shop-level relations
and the stored models are copied into memory and the file is closed again, so assigning never
holds the DuckDB file (one writer) and never blocks a build. An Assigner answers many calls;
assign_customer() makes one for a single call.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from threadpoolctl import threadpool_limits

from customer_segmentation.prediction.model_store import METRIC as FITTED_MODEL_METRIC
from customer_segmentation.prediction.model_store import RECORD_TYPE as FITTED_MODEL_RECORD
from customer_segmentation.prediction.model_store import load_fitted_model

__all__ = [
    "INPUT_COLUMNS",
    "Assigner",
    "Assignment",
    "assign_customer",
    "read_customer_input",
    "serve_lines",
]

# The input contract (docs/input.md, "Input contract"): the columns the staging models read.
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("order_id", "customer_id", "ordered_at", "amount", "status"),
    "order_items": ("order_id", "product_id", "quantity", "unit_price", "discount_amount"),
    "events": (
        "customer_id",
        "session_id",
        "event_at",
        "event_type",
        "product_id",
        "duration_seconds",
    ),
    "reviews": ("customer_id", "product_id", "rating", "review_text", "reviewed_at"),
    "customers": (
        "customer_id",
        "signup_at",
        "birth_date",
        "gender",
        "country",
        "city",
        "acquisition_channel",
        "email",
        "full_name",
    ),
}
_ID_COLUMNS = frozenset({"order_id", "customer_id", "product_id", "session_id"})
# The input the flag of int_inputs_present describes.
_INPUT_FLAGS = {"events": "has_events", "order_items": "has_order_items", "reviews": "has_reviews"}

# Models whose rows describe the shop rather than one customer: copied from the build.
SHOP_MODELS = frozenset(
    {
        "int_as_of_date",
        "int_feature_cutoffs",
        "int_prediction_windows",
        "int_inputs_present",
        "stg_shop__products",
        "stg_shop__products_checked",
    }
)
# Recomputed (from the run date) when an as_of_date other than the build's is asked for.
_DATE_MODELS = ("int_feature_cutoffs", "int_prediction_windows")
_RESULT_MODELS = ("customer_segments", "customer_scores")
_SCORE_FEATURES = "int_customers_prediction_features"
_SCORES_MODEL = "customer_scores_fit"
_SEGMENTED = "int_customers_segmented"
# Only the features at the run date are needed: the earlier cutoffs (the churn models'
# training windows) are left out, which divides the feature SQL's work by three.
_CUTOFFS = "int_feature_cutoffs"
_CURRENT_CUTOFF = "cutoff_role = 'current'"
_PACKAGE = "customer_segmentation"
_INPUT_CATALOG = "assign_input"
_SNAPSHOT_CATALOG = "assign_snapshot"
_RESERVED_CATALOGS = frozenset({"memory", "temp", "system", _INPUT_CATALOG, _SNAPSHOT_CATALOG})

# The ingest step's view of an input (macro shop_input_view: staging.shop_input__<table>), as the
# compiled staging SQL names it, and the ingest step's record of what it found.
_INPUT_VIEW_PREFIX = "shop_input__"
_INGEST_RECORD = "shop_inputs"


@dataclass
class Assignment:
    """One customer's answer. Mirrors the rows the build writes to marts.customer_segments and
    marts.customer_scores for a customer, plus what was used and why something is missing.

    segment_id, segment_name, distance_to_centroid, model_id: null when the customer is not
    eligible (no completed purchase before as_of_date); message says why.
    churn_probability, churn_risk_band, expected_value_next_period, probability_alive,
    expected_purchases_next_period, score_method: null when score_status is not 'scored' (its
    value says why, as in marts.customer_scores). score_method is supervised or bgnbd (the
    purchase model scored, as the build's supervised models could not be fitted).
    inputs: per input table, how it was used. rejected_rows: input rows the staging rules
    rejected, by table and reason (the build would have rejected them too).
    """

    customer_id: str
    as_of_date: str
    segment_id: int | None
    segment_name: str | None
    distance_to_centroid: float | None
    model_id: str | None
    churn_probability: float | None
    churn_risk_band: str | None
    expected_value_next_period: float | None
    probability_alive: float | None
    expected_purchases_next_period: float | None
    score_method: str | None
    prediction_horizon_days: int | None
    score_model_id: str | None
    score_status: str | None
    features: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return _plain(asdict(self))


@dataclass(frozen=True)
class _Step:
    """One relation of the in-memory run: how to make it and what it waits for."""

    name: str
    relation: str
    materialized: str
    sql: str
    depends_on: tuple[str, ...]
    inputs: tuple[str, ...] = ()


class Assigner:
    """Assigns customers with the current model of one built warehouse.

    warehouse: the DuckDB file the build wrote (opened read-only, once, here).
    target_path: the build's dbt target directory (manifest.json and compiled SQL).
    """

    def __init__(self, warehouse: str | Path, target_path: str | Path = "target") -> None:
        self.warehouse = Path(warehouse)
        self.target_path = Path(target_path)
        manifest_path = self.target_path / "manifest.json"
        if not self.warehouse.exists():
            raise FileNotFoundError(f"no warehouse at {self.warehouse}: run a build first")
        if not manifest_path.exists():
            raise FileNotFoundError(
                f"no dbt manifest at {manifest_path}: assign runs the SQL a build compiled; "
                "point target_path at the target directory of the build of this warehouse"
            )
        manifest = json.loads(manifest_path.read_text())
        self._models = _models_by_name(manifest)
        self.catalog = self._models[_SEGMENTED]["database"]
        if self.catalog in _RESERVED_CATALOGS:
            raise ValueError(f"the build's database name {self.catalog!r} is reserved here")
        self._lock = threading.Lock()
        self._connection = duckdb.connect(":memory:", config={"threads": 1})
        self._plans: dict[bool, list[_Step]] = {}
        self._snapshot()
        self._check_compiled_model()

    # --- loading -----------------------------------------------------------------------------

    def _snapshot(self) -> None:
        """Copy the shop-level relations and the stored models into memory; close the file."""
        boundaries, incremental = self._boundaries()
        connection = self._connection
        path = str(self.warehouse.resolve()).replace("'", "''")
        try:
            # Under the build's own database name: views stored in the file name it.
            connection.execute(f"attach '{path}' as {_quote(self.catalog)} (read_only)")
        except duckdb.Error as error:
            raise RuntimeError(
                f"cannot open the warehouse {self.warehouse} read-only ({error}); a running "
                "build holds it: assign again when it is done"
            ) from None
        connection.execute(f"attach ':memory:' as {_SNAPSHOT_CATALOG}")
        fitted_text = None
        try:
            self._found_by_build = self._inputs_found_by_build()
            metrics = _relation(self.catalog, self._models["segment_model_metrics"])
            self.model_as_of_date: date = connection.sql(
                f"select cast(max(as_of_date) as date) from {metrics}"
            ).fetchall()[0][0]
            for node in boundaries:
                source = _relation(self.catalog, node)
                copy = _relation(_SNAPSHOT_CATALOG, node)
                self._create_schema(_SNAPSHOT_CATALOG, node["schema"])
                condition = ""
                if node["name"] == _SCORES_MODEL:
                    condition = " where record_type not in ('score', 'fitted_model')"
                    fitted_text = self._fitted_model_text(source)
                if node["name"] == _CUTOFFS:
                    condition = f" where {_CURRENT_CUTOFF}"
                connection.execute(f"create table {copy} as select * from {source}{condition}")
            for node in incremental:
                copy = _relation(_SNAPSHOT_CATALOG, node)
                self._create_schema(_SNAPSHOT_CATALOG, node["schema"])
                connection.execute(
                    f"create table {copy} as select * from {_relation(self.catalog, node)} limit 0"
                )
        except duckdb.CatalogException as error:
            raise RuntimeError(
                f"the warehouse {self.warehouse} lacks a relation of the build in "
                f"{self.target_path} ({error}): run dbt build first"
            ) from None
        finally:
            connection.execute(f"detach {_quote(self.catalog)}")
        connection.execute(f"attach ':memory:' as {_quote(self.catalog)}")
        connection.execute(f"attach ':memory:' as {_INPUT_CATALOG}")
        recomputed = [step for override in (False, True) for step in self._plan(override)]
        for schema in {self._models[step.name]["schema"] for step in recomputed}:
            self._create_schema(self.catalog, schema)
        for node in boundaries:
            self._create_schema(self.catalog, node["schema"])
            connection.execute(
                f"create table {_relation(self.catalog, node)} as "
                f"select * from {_relation(_SNAPSHOT_CATALOG, node)}"
            )
        self._fitted = None
        self._fitted_problem = "the warehouse holds no churn and value models"
        if fitted_text is not None:
            try:
                self._fitted = load_fitted_model(fitted_text)
                self._fitted_problem = ""
            except ValueError as error:
                self._fitted_problem = str(error)
        elif self._scores_status() == "scored":
            self._fitted_problem = (
                "the warehouse holds scores but not the churn and value models (built before "
                "they were stored): run dbt build to store them"
            )
        as_of = connection.sql(
            f"select as_of_date from {self._relation('int_as_of_date')}"
        ).fetchall()
        self.build_as_of_date: date = as_of[0][0]

    def _fitted_model_text(self, relation: str) -> str | None:
        rows = self._connection.execute(
            f"select text_value from {relation} where record_type = ? and metric = ?",
            [FITTED_MODEL_RECORD, FITTED_MODEL_METRIC],
        ).fetchall()
        return rows[0][0] if rows else None

    def _scores_status(self) -> str | None:
        rows = self._connection.sql(
            f"select text_value from {self._relation(_SCORES_MODEL)} "
            "where record_type = 'status' and metric = 'scoring'"
        ).fetchall()
        return rows[0][0] if rows else None

    def _boundaries(self) -> tuple[list[dict], list[dict]]:
        """The relations copied from the build, and the incremental models among the recomputed
        ones (an empty copy stands for their previous state)."""
        boundaries: dict[str, dict] = {}
        incremental: dict[str, dict] = {}
        for override in (False, True):
            for step in self._plan(override):
                node = self._models[step.name]
                if step.materialized == "incremental":
                    incremental[step.name] = node
                for dependency in step.depends_on:
                    if dependency in self._models and not any(
                        other.name == dependency for other in self._plan(override)
                    ):
                        boundaries[dependency] = self._models[dependency]
        boundaries[_SCORES_MODEL] = self._models[_SCORES_MODEL]
        return list(boundaries.values()), list(incremental.values())

    def _plan(self, as_of_override: bool) -> list[_Step]:
        """The relations recomputed from the customer's rows, in dependency order."""
        if as_of_override in self._plans:
            return self._plans[as_of_override]
        copied = set(SHOP_MODELS) - (set(_DATE_MODELS) if as_of_override else set())
        steps: dict[str, _Step] = {}

        def visit(name: str) -> None:
            if name in steps or name in copied:
                return
            node = self._models.get(name)
            if node is None:
                raise RuntimeError(f"the manifest in {self.target_path} has no model {name}")
            if node["resource_type"] == "seed" or node["schema"] == "ml":
                return
            if node["config"].get("materialized") not in ("table", "view", "incremental"):
                raise RuntimeError(
                    f"model {name} is materialized as {node['config'].get('materialized')}: "
                    "assign can only recompute SQL tables and views"
                )
            dependencies = []
            inputs = []
            for unique_id in node["depends_on"]["nodes"]:
                kind, _, rest = unique_id.partition(".")
                if kind == "source":
                    source_name, _, table = rest.partition(".")[2].partition(".")
                    if source_name == "shop":
                        inputs.append(table)
                    continue
                dependency = rest.partition(".")[2]
                dependencies.append(dependency)
                visit(dependency)
            steps[name] = _Step(
                name=name,
                relation=_relation(node["database"], node),
                materialized=node["config"]["materialized"],
                sql=self._compiled_sql(node, inputs),
                depends_on=tuple(dependencies),
                inputs=tuple(inputs),
            )

        # The score features first: the stored churn and value models score them (_score)
        # before customer_scores reads the scores.
        for name in (_SCORE_FEATURES, *_RESULT_MODELS):
            visit(name)
        self._plans[as_of_override] = list(steps.values())
        return self._plans[as_of_override]

    def _compiled_sql(self, node: dict, inputs: list[str]) -> str:
        sql = node.get("compiled_code")
        if not sql:
            compiled = self.target_path / "compiled" / _PACKAGE / node["original_file_path"]
            if not compiled.exists():
                raise RuntimeError(
                    f"no compiled SQL for {node['name']} in {self.target_path}: run dbt build "
                    "(or dbt compile) with this target path"
                )
            sql = compiled.read_text()
        for table in inputs:
            sql = self._bind_input(node["name"], sql, table)
        return sql

    def _bind_input(self, name: str, sql: str, table: str) -> str:
        """Point the model's reader of a raw input (the ingest step's view of it) at the
        in-memory table of the given rows."""
        target = f"{_INPUT_CATALOG}.main.{_quote(table)}"
        view = re.compile(r'(?:"[^"]*"\.)?"[^"]*"\."' + re.escape(_INPUT_VIEW_PREFIX + table) + '"')
        found = set(view.findall(sql))
        if len(found) != 1:
            raise RuntimeError(
                f"cannot tell where the compiled SQL of {name} reads the input {table} "
                f"({len(found)} candidates)"
            )
        return sql.replace(found.pop(), target)

    def _inputs_found_by_build(self) -> dict[str, bool]:
        """Which inputs the build's ingest step found (staging.shop_inputs): an input the build
        did not have is read as no rows, as the build read it."""
        staging_schema = self._models["stg_shop__orders"]["schema"]
        record = f"{_quote(self.catalog)}.{_quote(staging_schema)}.{_quote(_INGEST_RECORD)}"
        rows = self._connection.sql(f"select table_name, is_found from {record}").fetchall()
        return {table: bool(is_found) for table, is_found in rows}

    def _check_compiled_model(self) -> None:
        """The compiled scoring SQL must describe the model the warehouse holds."""
        compiled = next(step for step in self._plan(False) if step.name == _SEGMENTED).sql
        columns = re.findall(r'features\."([^"]+)"', compiled.split("scaled as (", 1)[-1])
        stored = [
            row[0]
            for row in self._connection.sql(
                f"select source_column from {self._relation('segment_model_scaling')} "
                "order by position"
            ).fetchall()
        ]
        # The scoring SQL has a slot per dimension the settings can give a model (macro
        # segment_scoring_features); the stored model's dimensions must each have one.
        without_slot = sorted(set(stored) - set(columns))
        if without_slot:
            raise RuntimeError(
                f"the compiled SQL in {self.target_path} scores another model than the one in "
                f"{self.warehouse} (the stored dimensions {without_slot} have no slot in it): "
                "build (or "
                "dbt compile) this warehouse with this target path"
            )

    # --- assigning ---------------------------------------------------------------------------

    def assign(
        self,
        orders: Any,
        order_items: Any = None,
        events: Any = None,
        reviews: Any = None,
        customers: Any = None,
        as_of_date: str | date | None = None,
    ) -> Assignment:
        """Assign one customer.

        Each input is a pandas DataFrame, a list of row dicts, or None (not given); orders are
        required. Values may be text or typed (numbers, dates); they are read as the build
        reads text input. customers: the customer's row (a dict is accepted).
        as_of_date: the date to compute the features at (default: the build's as_of_date; it
        may not precede the model's training date). Orders on or after it are ignored.
        """
        started = time.perf_counter()
        given = {
            "orders": orders,
            "order_items": order_items,
            "events": events,
            "reviews": reviews,
            "customers": [customers] if isinstance(customers, Mapping) else customers,
        }
        frames = {
            table: _text_frame(table, rows) for table, rows in given.items() if rows is not None
        }
        customer_id = _one_customer(frames)
        run_date = self._run_date(as_of_date)
        override = run_date != self.build_as_of_date
        with self._lock:
            inputs = self._load_inputs(frames, override, run_date)
            for step in self._plan(override):
                self._run_step(step)
                if step.name == _SCORE_FEATURES:
                    self._score()
            result = self._result(customer_id, run_date, inputs)
        result.seconds = time.perf_counter() - started
        return result

    def _run_date(self, as_of_date: str | date | None) -> date:
        if as_of_date is None:
            return self.build_as_of_date
        try:
            run_date = (
                as_of_date if isinstance(as_of_date, date) else date.fromisoformat(str(as_of_date))
            )
        except ValueError:
            raise ValueError(f"as_of_date must be YYYY-MM-DD, got {as_of_date!r}") from None
        if run_date < self.model_as_of_date:
            raise ValueError(
                f"as_of_date {run_date} is before the training date of the current model "
                f"({self.model_as_of_date}): a model never scores a date before its own"
            )
        return run_date

    def _load_inputs(
        self, frames: dict[str, pd.DataFrame], override: bool, run_date: date
    ) -> dict[str, str]:
        connection = self._connection
        plan = self._plan(override)
        read_by_build = {table for step in plan for table in step.inputs}
        inputs: dict[str, str] = {}
        for table in INPUT_COLUMNS:
            frame = frames.get(table)
            if frame is None or not self._found_by_build.get(table, False):
                # Not given, or an input the build did not have: no rows, as the build read it.
                frame = pd.DataFrame(columns=list(INPUT_COLUMNS[table]))
            connection.register("assign_rows", frame)
            connection.execute(
                f"create or replace table {_INPUT_CATALOG}.main.{_quote(table)} as "
                f"select {text_input_readings(frame.columns)} from assign_rows"
            )
            connection.unregister("assign_rows")
            if table not in read_by_build:
                continue
            if table in frames and not self._found_by_build.get(table, False):
                inputs[table] = "ignored: the build had no such input"
            elif table in frames:
                inputs[table] = f"given: {len(frames[table])} rows"
            elif table in _INPUT_FLAGS:
                inputs[table] = "not given: the features that need it are unknown (null)"
            else:
                inputs[table] = "not given"
        flags = ", ".join(
            f"{flag} and {'true' if table in frames else 'false'} as {flag}"
            for table, flag in _INPUT_FLAGS.items()
        )
        shop_inputs = _relation(_SNAPSHOT_CATALOG, self._models["int_inputs_present"])
        connection.execute(
            f"create or replace table {self._relation('int_inputs_present')} as "
            f"select {flags} from {shop_inputs}"
        )
        as_of = self._relation("int_as_of_date")
        snapshot = _relation(_SNAPSHOT_CATALOG, self._models["int_as_of_date"])
        if override:
            connection.execute(
                f"create or replace table {as_of} as select cast(? as date) as as_of_date, "
                "latest_order_date, true as is_as_of_date_from_var from " + snapshot,
                [run_date.isoformat()],
            )
            return inputs
        # The build's own dates again (a call at another date recomputed them).
        for name in ("int_as_of_date", *_DATE_MODELS):
            node = self._models[name]
            connection.execute(
                f"create or replace table {_relation(self.catalog, node)} as "
                f"select * from {_relation(_SNAPSHOT_CATALOG, node)}"
            )
        return inputs

    def _run_step(self, step: _Step) -> None:
        connection = self._connection
        if step.materialized == "view":
            connection.execute(f"create or replace view {step.relation} as {step.sql}")
            return
        if step.materialized == "table":
            connection.execute(f"create or replace table {step.relation} as {step.sql}")
            if step.name == _CUTOFFS:
                connection.execute(f"delete from {step.relation} where not ({_CURRENT_CUTOFF})")
            return
        # Incremental: the compiled SQL may compare with the model's own previous state, which
        # is empty here, so every given row is staged, as in a full refresh.
        template = _relation(_SNAPSHOT_CATALOG, self._models[step.name])
        connection.execute(f"create or replace table {step.relation} as select * from {template}")
        columns = [row[0] for row in connection.sql(f"describe {template}").fetchall()]
        column_list = ", ".join(_quote(column) for column in columns)
        connection.execute(
            f"insert into {step.relation} ({column_list}) "
            f"select {column_list} from ({step.sql}) as staged"
        )

    def _score(self) -> None:
        """The score rows of the stored models, where the build keeps them: the supervised
        models, or the purchase model where the build had no supervised models (the build's
        choice, customer_segmentation.prediction.model_store.StoredModels)."""
        connection = self._connection
        scores_fit = self._relation(_SCORES_MODEL)
        connection.execute(
            f"create or replace table {scores_fit} as select * from "
            f"{_relation(_SNAPSHOT_CATALOG, self._models[_SCORES_MODEL])}"
        )
        if self._fitted is None or self._scores_status() != "scored":
            return
        current = connection.sql(
            f"select * from {self._relation(_SCORE_FEATURES)} "
            "where cutoff_role = 'current' order by customer_id"
        ).df()
        if current.empty:
            return
        # One customer: OpenMP threads (the gradient boosting's per-tree loops) only wait on
        # each other, and on a busy machine the wait dominates (scores do not depend on them).
        with threadpool_limits(limits=1, user_api="openmp"):
            scores = self._fitted.score(current)
        model_id = connection.sql(f"select max(model_id) from {scores_fit}").fetchall()[0][0]
        connection.register("assign_scores", scores)
        connection.execute(
            f"insert into {scores_fit} (model_id, record_type, customer_id, method, "
            "churn_probability, expected_value, probability_alive, expected_purchases) "
            "select ?, 'score', customer_id, method, churn_probability, expected_value, "
            "probability_alive, expected_purchases from assign_scores",
            [model_id],
        )
        connection.unregister("assign_scores")

    def _result(self, customer_id: str, run_date: date, inputs: dict[str, str]) -> Assignment:
        connection = self._connection
        segments = connection.sql(f"select * from {self._relation('customer_segments')}").df()
        scores = connection.sql(f"select * from {self._relation('customer_scores')}").df()
        features = connection.sql(f"select * from {self._relation('int_customer_features')}").df()
        rejected = []
        for step in self._plan(run_date != self.build_as_of_date):
            if step.name.endswith("_checked"):
                rows = connection.sql(
                    f"select rejection_reason, count(*) as input_rows from {step.relation} "
                    "where rejection_reason is not null group by 1 order by 1"
                ).fetchall()
                table = step.name.removeprefix("stg_shop__").removesuffix("_checked")
                rejected += [{"table": table, "reason": r, "rows": n} for r, n in rows]
        rejected.sort(key=lambda row: (row["table"], row["reason"]))
        segment = segments.iloc[0] if len(segments) else None
        score = scores.iloc[0] if len(scores) else None
        message = ""
        if segment is None:
            message = (
                f"not segmented: no completed purchase before as_of_date {run_date} among the "
                "given orders (the build segments only such customers)"
            )
        elif score is not None and score["score_status"] != "scored":
            message = f"no churn and value scores: {self._score_reason()}"
        return Assignment(
            customer_id=customer_id,
            as_of_date=run_date.isoformat(),
            segment_id=None if segment is None else int(segment["segment_id"]),
            segment_name=None if segment is None else segment["segment_name"],
            distance_to_centroid=None
            if segment is None
            else float(segment["distance_to_centroid"]),
            model_id=None if segment is None else segment["model_id"],
            churn_probability=_value(score, "churn_probability"),
            churn_risk_band=_value(score, "churn_risk_band"),
            expected_value_next_period=_value(score, "expected_value_next_period"),
            probability_alive=_value(score, "probability_alive"),
            expected_purchases_next_period=_value(score, "expected_purchases_next_period"),
            score_method=_value(score, "score_method"),
            prediction_horizon_days=_value(score, "prediction_horizon_days"),
            score_model_id=_value(score, "model_id"),
            score_status=_value(score, "score_status"),
            features=_plain(features.iloc[0].to_dict()) if len(features) else {},
            inputs=inputs,
            rejected_rows=rejected,
            message=message,
        )

    def _score_reason(self) -> str:
        if self._fitted is None and self._scores_status() == "scored":
            return self._fitted_problem
        rows = self._connection.sql(
            f"select text_value from {self._relation(_SCORES_MODEL)} "
            "where record_type = 'status' and metric = 'scoring_message'"
        ).fetchall()
        return rows[0][0] if rows else "the build has no churn and value models"

    # --- helpers -----------------------------------------------------------------------------

    def _relation(self, name: str) -> str:
        return _relation(self.catalog, self._models[name])

    def _create_schema(self, catalog: str, schema: str) -> None:
        self._connection.execute(f"create schema if not exists {_quote(catalog)}.{_quote(schema)}")

    def close(self) -> None:
        """Release the in-memory database."""
        self._connection.close()

    def __enter__(self) -> Assigner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def assign_customer(
    orders: Any,
    order_items: Any = None,
    events: Any = None,
    reviews: Any = None,
    customers: Any = None,
    *,
    warehouse: str | Path,
    target_path: str | Path = "target",
    as_of_date: str | date | None = None,
) -> Assignment:
    """Assign one customer with the current model of a built warehouse (see Assigner.assign).

    Loads the build's SQL and stored models for this one call; keep an Assigner to assign many
    customers (each call then takes only the SQL run on the customer's rows).
    """
    with Assigner(warehouse, target_path) as assigner:
        return assigner.assign(orders, order_items, events, reviews, customers, as_of_date)


def read_customer_input(path: str | Path) -> dict[str, Any]:
    """A customer's input from a file, as keyword arguments of Assigner.assign.

    - JSON object with any of the keys orders, order_items, events, reviews, customers (a list
      of rows) or customer (one row): every input at once;
    - JSON list of rows, or a CSV file with a header: the orders.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return {"orders": read_rows(path)}
    return customer_bundle(json.loads(path.read_text()), str(path))


def customer_bundle(content: Any, where: str) -> dict[str, Any]:
    """A parsed JSON input (a list of order rows, or an object of tables) as keyword arguments
    of Assigner.assign; where names it in errors."""
    if isinstance(content, list):
        return {"orders": content}
    if not isinstance(content, dict):
        raise ValueError(f"{where}: expected a JSON object of tables or a list of order rows")
    known = {*INPUT_COLUMNS, "customer"}
    unknown = sorted(set(content) - known)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; expected some of {sorted(known)}")
    tables = {key: value for key, value in content.items() if key != "customer"}
    if "customer" in content:
        tables["customers"] = [content["customer"]]
    return tables


def serve_lines(assigner: Assigner, lines: Iterable[str], output: Any) -> int:
    """One customer per input line (a JSON bundle, as customer_bundle reads it), one JSON answer
    per output line, from one Assigner: the warehouse is read and the libraries imported once, so
    each answer takes one call's time. A line that cannot be assigned gets {"error": ...} and
    the next line is read. Returns how many lines failed."""
    failed = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            tables = customer_bundle(json.loads(line), f"line {number}")
            answer = assigner.assign(**tables).to_dict()
        except (ValueError, RuntimeError) as error:
            failed += 1
            answer = {"line": number, "error": str(error)}
        output.write(json.dumps(answer) + "\n")
        output.flush()
    return failed


def read_rows(path: str | Path) -> pd.DataFrame | list[dict[str, Any]]:
    """The rows of one input file: CSV (every value read as text, as the build reads CSV) or a
    JSON list of objects."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        escaped = str(path).replace("'", "''")
        with duckdb.connect() as connection:
            return connection.sql(
                f"select * from read_csv('{escaped}', header = true, all_varchar = true)"
            ).df()
    rows = json.loads(path.read_text())
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a JSON list of rows")
    return rows


# --- input rows as text -------------------------------------------------------------------------


def _text_frame(table: str, rows: Any) -> pd.DataFrame:
    """Rows as a frame of text (None for missing) with every contract column of the table."""
    if isinstance(rows, pd.DataFrame):
        frame = rows.copy()
    elif isinstance(rows, Iterable) and not isinstance(rows, str | bytes):
        rows = list(rows)
        if not all(isinstance(row, Mapping) for row in rows):
            raise ValueError(f"{table}: every row must be an object of column values")
        frame = pd.DataFrame.from_records(rows)
    else:
        raise ValueError(f"{table}: expected a DataFrame or a list of rows")
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    if frame.columns.duplicated().any():
        raise ValueError(f"{table}: a column appears twice (names are case-insensitive)")
    text = pd.DataFrame(index=range(len(frame)))
    for column in INPUT_COLUMNS[table]:
        if column in frame.columns:
            values = frame[column].tolist()
            text[column] = [_text(value, column in _ID_COLUMNS) for value in values]
        else:
            text[column] = None
    return text.astype(object)


def _text(value: Any, is_id: bool) -> str | None:
    """A value as the text the build would read: dates and times in ISO form, whole-number ids
    written as floats (pandas' 100002.0) as the whole number, as the build reads them."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or (not isinstance(value, str | bytes | Mapping | list) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if is_id and number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError(f"cannot read {value!r} as a single value")


def _one_customer(frames: dict[str, pd.DataFrame]) -> str:
    """The one customer id of the orders; other inputs may only hold that customer."""
    if "orders" not in frames or frames["orders"].empty:
        raise ValueError("assign needs the customer's orders (at least one row)")
    ids = _ids(frames["orders"])
    if len(ids) != 1:
        shown = ", ".join(sorted(ids)[:5]) or "none"
        raise ValueError(
            f"the orders must hold one customer's rows; found {len(ids)} customer ids ({shown})"
        )
    customer_id = ids.pop()
    for table in ("events", "reviews", "customers"):
        if table in frames:
            others = _ids(frames[table]) - {customer_id}
            if others:
                raise ValueError(
                    f"{table} hold rows of other customers ({', '.join(sorted(others)[:5])}) "
                    f"than the orders' customer {customer_id}"
                )
    return customer_id


def _ids(frame: pd.DataFrame) -> set[str]:
    return {
        value.strip()
        for value in frame["customer_id"]
        if isinstance(value, str) and value.strip() != ""
    }


# --- small helpers ------------------------------------------------------------------------------


def _models_by_name(manifest: dict) -> dict[str, dict]:
    nodes = {}
    for node in manifest["nodes"].values():
        if node.get("package_name") == _PACKAGE and node["resource_type"] in ("model", "seed"):
            nodes[node["name"]] = node
    required = (*_RESULT_MODELS, _SCORE_FEATURES, _SCORES_MODEL, _SEGMENTED, *SHOP_MODELS)
    for name in (*required, "segment_model_metrics"):
        if name not in nodes:
            raise RuntimeError(
                f"the manifest has no model {name}: build the whole project (dbt build) first"
            )
    return nodes


def _relation(catalog: str, node: dict) -> str:
    return f"{_quote(catalog)}.{_quote(node['schema'])}.{_quote(node['alias'])}"


def text_input_readings(columns: Iterable[str]) -> str:
    """The select list the ingest step writes for a CSV input, for rows of text columns.

    Every column as text, its typed reading `<column>__value` null (a CSV input has no types)
    and its text `<column>__text` beside it (docs/input.md "Typed reads"; macro
    ingest_shop_inputs), so that staging's SQL reads these rows as it reads a CSV input.
    """
    return ", ".join(
        f"cast({_quote(column)} as varchar) as {_quote(column)}, "
        f"cast(null as varchar) as {_quote(column + '__value')}, "
        f"cast({_quote(column)} as varchar) as {_quote(column + '__text')}"
        for column in columns
    )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _value(row: pd.Series | None, column: str) -> Any:
    if row is None:
        return None
    return _plain(row[column])


def _plain(value: Any) -> Any:
    """JSON-able Python values (numpy scalars, NaN, dates, decimals converted)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def main(argv: list[str] | None = None) -> int:
    """`customer-segmentation assign`: print one customer's assignment as JSON."""
    import argparse
    import os
    import sys

    parser = argparse.ArgumentParser(
        prog="customer-segmentation assign",
        description="Assign one customer with the current model of a built warehouse, without "
        "a build or a refit: segment, distance, churn and value scores, as JSON.",
    )
    parser.add_argument(
        "input",
        type=Path,
        nargs="?",
        help="the customer's orders (CSV, or a JSON list of rows), or a JSON object with any "
        "of orders, order_items, events, reviews, customer",
    )
    parser.add_argument(
        "--stream",
        action="store_true",
        help="keep running: read one customer per line of standard input (a JSON object as "
        "above, on one line) and write one JSON answer per line, loading the model once",
    )
    for table in ("order_items", "events", "reviews"):
        parser.add_argument(
            f"--{table.replace('_', '-')}", type=Path, help=f"the customer's {table} (CSV or JSON)"
        )
    parser.add_argument("--customer", type=Path, help="the customer's row (CSV or JSON)")
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("DBT_DUCKDB_PATH", "warehouse/customer_segmentation.duckdb")),
        help="the built DuckDB file (default: $DBT_DUCKDB_PATH or the project's warehouse)",
    )
    parser.add_argument(
        "--target-path",
        type=Path,
        default=Path(os.environ.get("DBT_TARGET_PATH", "target")),
        help="the dbt target directory of that build (default: target)",
    )
    parser.add_argument(
        "--as-of-date", help="compute the features at this date (default: the build's)"
    )
    arguments = parser.parse_args(argv)
    if arguments.stream:
        if arguments.input is not None or arguments.as_of_date is not None:
            parser.error("--stream reads every customer from standard input")
        try:
            assigner = Assigner(arguments.warehouse, arguments.target_path)
        except (ValueError, FileNotFoundError, RuntimeError) as error:
            print(f"customer-segmentation assign: {error}", file=sys.stderr)
            return 2
        with assigner:
            failed = serve_lines(assigner, sys.stdin, sys.stdout)
        return 1 if failed else 0
    if arguments.input is None:
        parser.error("give the customer's input file, or --stream")
    try:
        tables = read_customer_input(arguments.input)
        for table, path in (
            ("order_items", arguments.order_items),
            ("events", arguments.events),
            ("reviews", arguments.reviews),
            ("customers", arguments.customer),
        ):
            if path is None:
                continue
            if table in tables:
                raise ValueError(f"{table} are given twice: in {arguments.input} and in {path}")
            tables[table] = read_rows(path)
        assignment = assign_customer(
            **tables,
            warehouse=arguments.warehouse,
            target_path=arguments.target_path,
            as_of_date=arguments.as_of_date,
        )
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"customer-segmentation assign: {error}", file=sys.stderr)
        return 2
    print(json.dumps(assignment.to_dict(), indent=2))
    return 0
