"""The `customer-segmentation` command's own logic, without running dbt."""

from __future__ import annotations

from customer_segmentation.cli import parse_arguments


def test_the_backfill_parse_keeps_the_arguments_dbt_parse_accepts():
    """backfill parses the project once with the arguments `dbt parse` takes: the selection
    options of the build (with every value, space-separated or after =) and build-only flags
    are left out, paths, profile and target kept in their order."""
    build_arguments = [
        "--target-path",
        "out/target",
        "--select",
        "+customer_segment_history",
        "stg_shop__*_rejected",
        "--exclude",
        "resource_type:test",
        "resource_type:unit_test",
        "--log-path",
        "out/logs",
        "--full-refresh",
        "-s",
        "segment_summary",
        "--selector=segmentation_only",
        "--target",
        "duckdb",
    ]
    assert parse_arguments(build_arguments) == [
        "--target-path",
        "out/target",
        "--log-path",
        "out/logs",
        "--target",
        "duckdb",
    ]
    assert parse_arguments([]) == []
