"""Write-audit-publish on DuckDB: the published analytics tables change only when the audit passes.

Each test that changes data works on `warehouse_copy` (conftest.py), a copy of the
session's built warehouse and its lake, so the shared one stays as it is.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pytest

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.quality.gate import format_transform_result, transform
from {{ cookiecutter.package_name }}.warehouse.kpis import read_kpis
from {{ cookiecutter.package_name }}.warehouse.load import load_lake
from {{ cookiecutter.package_name }}.warehouse.publish import (
    CANDIDATE_SCHEMA,
    PUBLISHED_SCHEMA,
    publish,
    published_tables,
)

from conftest import TEST_END

ANALYTICS_TABLES = ("analytics_customer_summary", "analytics_order_items", "analytics_orders", "analytics_sessions")


def snapshot(settings, schema: str = PUBLISHED_SCHEMA) -> dict[str, list[tuple]]:
    """Every row of every analytics table of `schema`, in a fixed order."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            table: con.execute(f"select * from {schema}.{table} order by all").fetchall() for table in ANALYTICS_TABLES
        }


def execute(settings, sql: str, params: list | None = None) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(sql, params or [])


def plant_raw_event(settings, event_id: str, change) -> None:
    """Insert a copy of the latest order_created raw event, with a new event_id and `change` applied to it.

    Inserted now, so the next incremental build of stg_events reads it (its watermark is the load time).
    """
    with duckdb.connect(str(settings.warehouse_path)) as con:
        (document,) = con.execute(
            "select event from raw.raw_events where event->>'$.event_type' = 'order_created' "
            "order by event->>'$.event_timestamp' desc limit 1"
        ).fetchone()
        event = json.loads(document)
        event["event_id"] = event_id
        change(event)
        con.execute(
            "insert into raw.raw_events (event, source_file, file_row_number, loaded_at) "
            "values (?, 'raw-events/planted.json.gz', 1, now()::timestamp)",
            [json.dumps(event)],
        )


def test_the_published_tables_equal_their_candidates_and_the_kpis_read_them(built_warehouse):
    assert snapshot(built_warehouse) == snapshot(built_warehouse, CANDIDATE_SCHEMA)
    tables = published_tables(built_warehouse)
    assert sorted(tables) == list(ANALYTICS_TABLES)
    kpis = read_kpis(built_warehouse.warehouse_path)
    assert (kpis.orders, kpis.sessions) == (tables["analytics_orders"], tables["analytics_sessions"])


def test_a_passing_audit_publishes_the_new_data(warehouse_copy):
    before = read_kpis(warehouse_copy.warehouse_path)
    generate_to_lake(warehouse_copy, TEST_END, datetime(2025, 10, 16, tzinfo=UTC))
    load_lake(warehouse_copy)

    result = transform(warehouse_copy)

    assert result.gate.passed and result.gate.failures == () and result.published
    assert result.published_tables == published_tables(warehouse_copy)
    after = read_kpis(warehouse_copy.warehouse_path)
    assert after.orders == result.published_tables["analytics_orders"] > before.orders
    assert after.last_order_date > before.last_order_date
    assert snapshot(warehouse_copy) == snapshot(warehouse_copy, CANDIDATE_SCHEMA)
    assert "Audit passed" in format_transform_result(result)


def test_a_failed_dbt_test_leaves_every_published_table_unchanged_and_is_named(warehouse_copy):
    published_before = snapshot(warehouse_copy)

    def wrong_total(event: dict) -> None:
        event["order"]["order_id"] = "00000000-0000-4000-8000-000000000002"
        event["order"]["total_amount"] = round(event["order"]["total_amount"] + 10, 2)

    plant_raw_event(warehouse_copy, "00000000-0000-4000-8000-000000000001", wrong_total)
    result = transform(warehouse_copy)

    assert not result.gate.passed and not result.published
    assert result.gate.failures == ("dbt test assert_order_total_equals_components: 1 failing row(s)",)
    assert snapshot(warehouse_copy) == published_before
    assert result.published_tables == {table: len(rows) for table, rows in published_before.items()}
    report = format_transform_result(result)
    assert "Audit failed (1 check(s))" in report and "assert_order_total_equals_components" in report


def test_a_null_a_mart_refuses_is_an_audit_finding_and_nothing_is_published(warehouse_copy):
    """fct_orders.tax has a not_null constraint (the contract in _marts.yml), not a not_null test:
    the warehouse refuses the row as the incremental run merges it, and the gate names it."""
    published_before = snapshot(warehouse_copy)

    def no_tax(event: dict) -> None:
        event["order"]["order_id"] = "00000000-0000-4000-8000-000000000003"
        event["order"]["tax"] = None

    plant_raw_event(warehouse_copy, "00000000-0000-4000-8000-000000000004", no_tax)
    result = transform(warehouse_copy)

    assert not result.gate.passed and not result.published
    refusal = "Constraint Error: NOT NULL constraint failed: fct_orders.tax"
    assert result.gate.failures == (f"dbt model fct_orders: {refusal}",)
    assert snapshot(warehouse_copy) == published_before
    with duckdb.connect(str(warehouse_copy.warehouse_path), read_only=True) as con:
        # Refused, not written: the mart holds no order without a tax.
        assert con.execute("select count(*) from marts.fct_orders where tax is null").fetchone() == (0,)


def test_publishing_is_one_transaction_and_replaces_each_table_with_its_candidate(warehouse_copy):
    published_before = snapshot(warehouse_copy)
    execute(warehouse_copy, f"delete from {CANDIDATE_SCHEMA}.analytics_orders where order_date < '2025-10-05'")
    # The last table (by name) has no candidate: its copy fails after the others' succeeded.
    execute(warehouse_copy, f"alter table {CANDIDATE_SCHEMA}.analytics_sessions rename to analytics_sessions_aside")

    with pytest.raises(PipelineError, match="run-operation publish_analytics"):
        publish(warehouse_copy)
    assert snapshot(warehouse_copy) == published_before  # all or nothing

    execute(warehouse_copy, f"alter table {CANDIDATE_SCHEMA}.analytics_sessions_aside rename to analytics_sessions")
    tables = publish(warehouse_copy)
    assert snapshot(warehouse_copy) == snapshot(warehouse_copy, CANDIDATE_SCHEMA) != published_before
    assert tables["analytics_orders"] == read_kpis(warehouse_copy.warehouse_path).orders
    assert read_kpis(warehouse_copy.warehouse_path).first_order_date == "2025-10-05"


def test_a_dbt_error_is_not_an_audit_finding_it_raises(warehouse_copy):
    execute(warehouse_copy, "alter table raw.raw_events rename column event to event_gone")  # staging cannot read it
    with pytest.raises(PipelineError, match="dbt build failed on"):
        transform(warehouse_copy)
