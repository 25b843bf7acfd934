"""Times the probabilistic purchase model's fit (customer_segmentation.prediction.purchase_model)
alone, on every customer of a benchmark shop (the 10m size has 1,000,000 customers).

Two sub-commands, run by run_benchmark.py as separate processes so that only `fit` is measured:

- prepare: the purchase-day summary of every customer with a purchase (what
  int_customers_purchase_days_summarised computes at as_of_date, the day after the last order),
  in one DuckDB query straight from the shop's orders file: completed orders with an amount
  >= 0, one purchase event per customer and day. No staging, rejection or checks. Written to a
  Parquet file.
- fit: reads that file and, timed separately, fits the purchase model (MBG/NBD and Gamma-Gamma
  by default) on all of its rows, as customer_scores_fit does on
  int_customers_purchase_model_sample when prediction.purchase_model_fit_sample_size is at least the
  number of customers, then predicts P(alive), P(no purchase) and expected value for every
  customer over a 90-day horizon. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb
import pandas as pd
from threadpoolctl import threadpool_limits

from customer_segmentation.prediction.purchase_model import fit_purchase_model

SUMMARY_SQL = """
with purchases as (
    select customer_id, cast(ordered_at as date) as ordered_date, amount
    from read_parquet('{orders}')
    where coalesce(lower(trim(status)), 'completed') = 'completed'
        and amount >= 0 and customer_id is not null and ordered_at is not null
),
cutoff as (select max(ordered_date) + 1 as cutoff_date from purchases),
purchase_days as (
    select customer_id, ordered_date, sum(amount) as day_spend
    from purchases group by customer_id, ordered_date
),
per_customer as (
    select customer_id, count(*) as purchase_days, sum(day_spend) as spend,
        min(ordered_date) as first_date, max(ordered_date) as last_date,
        arg_min(day_spend, ordered_date) as first_day_spend
    from purchase_days group by customer_id
)
select
    cast(customer_id as varchar) as customer_id,
    purchase_days - 1 as repeat_purchase_days,
    date_diff('day', first_date, last_date) as first_to_last_purchase_days,
    date_diff('day', first_date, cutoff.cutoff_date) as first_purchase_to_cutoff_days,
    case when purchase_days > 1
        then cast((spend - first_day_spend) / (purchase_days - 1) as double) end
        as mean_repeat_purchase_value
from per_customer cross join cutoff
order by customer_id
"""


def prepare(data: Path, summary: Path, threads: int, memory_limit: str) -> dict:
    """Write the purchase-day summary of the shop in `data` to `summary` (Parquet)."""
    summary.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute(f"set threads = {int(threads)}")
        connection.execute(f"set memory_limit = '{memory_limit}'")
        query = SUMMARY_SQL.format(orders=data / "orders.parquet")
        connection.execute(f"copy ({query}) to '{summary}' (format parquet)")
        customers = connection.sql(f"select count(*) from read_parquet('{summary}')")
        return {"customers": customers.fetchall()[0][0]}


def fit(summary: Path, variant: str, horizon_days: int) -> dict:
    """Fit the purchase model on every customer of the summary and score them all; seconds."""
    started = time.perf_counter()
    frame = pd.read_parquet(summary)
    read_s = time.perf_counter() - started
    with threadpool_limits(limits=1):
        started = time.perf_counter()
        model, status, message = fit_purchase_model(frame, variant)
        fit_s = time.perf_counter() - started
        if model is None:
            return {"ok": False, "status": status, "message": message}
        started = time.perf_counter()
        predicted = model.predict(frame, float(horizon_days))
        predict_s = time.perf_counter() - started
    return {
        "ok": True,
        "variant": variant,
        "customers": len(frame),
        "repeat_buyers": model.repeat_buyers,
        "read_s": round(read_s, 3),
        "fit_s": round(fit_s, 3),
        "purchase_fit_iterations": model.purchases.iterations,
        "spend_fit_iterations": model.spend.iterations,
        "predict_s": round(predict_s, 3),
        "parameters": {name: round(value, 6) for name, value in model.parameters().items()},
        "mean_churn_probability": round(float(predicted["churn_probability"].mean()), 6),
        "message": message,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_parser = commands.add_parser("prepare")
    prepare_parser.add_argument("--data", type=Path, required=True)
    prepare_parser.add_argument("--summary", type=Path, required=True)
    prepare_parser.add_argument("--threads", type=int, default=2)
    prepare_parser.add_argument("--memory-limit", default="8GB")
    fit_parser = commands.add_parser("fit")
    fit_parser.add_argument("--summary", type=Path, required=True)
    fit_parser.add_argument("--variant", default="mbgnbd", choices=["mbgnbd", "bgnbd"])
    fit_parser.add_argument("--horizon-days", type=int, default=90)
    arguments = parser.parse_args(argv)
    if arguments.command == "prepare":
        report = prepare(
            arguments.data, arguments.summary, arguments.threads, arguments.memory_limit
        )
    else:
        report = fit(arguments.summary, arguments.variant, arguments.horizon_days)
    print(json.dumps(report), flush=True)
    return 0 if report.get("ok", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
