"""The whole local pipeline: dbt build on DuckDB, published, and KPIs checked against the raw events."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import duckdb

from {{ cookiecutter.package_name }}.ingest.lake import list_lake_files
from {{ cookiecutter.package_name }}.warehouse.dbt_runner import build_models, target_dir
from {{ cookiecutter.package_name }}.warehouse.kpis import format_kpis, read_kpis
from {{ cookiecutter.package_name }}.warehouse.load import load_lake
from {{ cookiecutter.package_name }}.warehouse.publish import publish

MODELS = {
    "staging": ["stg_events"],
    "intermediate": ["int_customer_purchase_history", "int_session_events", "int_order_items_flattened"],
    "marts": ["dim_customers", "fct_orders", "fct_order_items"],
    # dbt builds the analytics models here; publishing copies them to `analytics` (see test_publish.py).
    "analytics_candidate": [
        "analytics_orders",
        "analytics_order_items",
        "analytics_customer_summary",
        "analytics_sessions",
    ],
}


def kpis_from_raw_events(lake_dir):
    """The KPI definitions, computed in plain Python from the lake files: an independent check.

    An order counts once whatever events of it the data holds (one created before
    the window may show only its fulfilment); its amounts never change after
    creation, and its status is the one of its latest event.
    """
    events = {}
    for path in list_lake_files(lake_dir):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                event = json.loads(line)
                events.setdefault(event["event_id"], event)
    orders, customer_of = {}, {}
    for event in sorted(events.values(), key=lambda e: e["event_timestamp"]):
        if event["order"] is not None:
            orders[event["order"]["order_id"]] = event["order"]  # the latest snapshot wins
            customer_of[event["order"]["order_id"]] = event["customer"]["customer_id"]
    revenue_orders = [order for order in orders.values() if order["status"] in ("paid", "fulfilled")]
    return {
        "orders": len(orders),
        "revenue_orders": len(revenue_orders),
        "revenue": sum((Decimal(str(order["total_amount"])) for order in revenue_orders), Decimal("0")),
        "buyers": len(set(customer_of.values())),
        "sessions": len({e["session_id"] for e in events.values()}),
        "converted_sessions": len({e["session_id"] for e in events.values() if e["event_type"] == "order_created"}),
    }


def table_counts(settings):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            name: con.execute(f"select count(*) from {schema}.{name}").fetchone()[0]
            for schema, names in MODELS.items()
            for name in names
        }


def test_dbt_build_creates_every_model_with_rows(built_warehouse):
    counts = table_counts(built_warehouse)
    assert set(counts) == {name for names in MODELS.values() for name in names}
    assert all(count > 0 for count in counts.values()), counts


def test_kpis_equal_an_independent_computation_from_the_raw_events(built_warehouse):
    kpis = read_kpis(built_warehouse.warehouse_path)
    expected = kpis_from_raw_events(built_warehouse.lake_dir)
    assert {
        "orders": kpis.orders,
        "revenue_orders": kpis.revenue_orders,
        "revenue": kpis.revenue,
        "buyers": kpis.buyers,
        "sessions": kpis.sessions,
        "converted_sessions": kpis.converted_sessions,
    } == expected
    assert kpis.average_order_value == (expected["revenue"] / expected["revenue_orders"]).quantize(Decimal("0.01"))
    summary = format_kpis(kpis)
    assert f"{expected['orders']:,}" in summary and f"${expected['revenue']:,.2f}" in summary


RFM_SEGMENTS = {
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "New Customers",
    "Promising",
    "Need Attention",
    "At Risk",
    "Hibernating",
}


def test_every_rfm_segment_is_a_known_name_and_scores_are_1_to_5(built_warehouse):
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        scores = con.execute(
            "select min(least(r_score, f_score, m_score)), max(greatest(r_score, f_score, m_score)) "
            "from analytics.analytics_customer_summary"
        ).fetchone()
        rows = con.execute("select distinct rfm_segment from analytics.analytics_customer_summary").fetchall()
    segments = {row[0] for row in rows}
    assert scores == (1, 5)
    assert segments <= RFM_SEGMENTS and len(segments) >= 5


def test_a_rerun_with_a_redelivered_file_counts_nothing_twice(built_warehouse):
    before = table_counts(built_warehouse)
    kpis_before = read_kpis(built_warehouse.warehouse_path)
    # At-least-once delivery: the same records arrive again in a file of another name.
    original = list_lake_files(built_warehouse.lake_dir)[-1]
    duplicate = original.with_name(original.name.replace("-1-", "-1-redelivered-", 1))
    duplicate.write_bytes(original.read_bytes())
    try:
        load_lake(built_warehouse)
        assert build_models(built_warehouse) == ()
        publish(built_warehouse)
        assert table_counts(built_warehouse) == before
        assert read_kpis(built_warehouse.warehouse_path) == kpis_before
        with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
            raw = con.execute("select count(*) - count(distinct event->>'$.event_id') from raw.raw_events")
            assert raw.fetchone()[0] > 0  # the raw layer keeps both copies; staging removes one
    finally:
        duplicate.unlink()


def test_every_model_and_column_is_documented(built_warehouse):
    manifest = json.loads((target_dir(built_warehouse.dbt_dir) / "manifest.json").read_text())
    undocumented = []
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        for node in manifest["nodes"].values():
            # The assignments' models are a learner's work in progress: their checks grade the docs.
            if node["resource_type"] != "model" or node["fqn"][1] == "assignments":
                continue
            if not node["description"].strip():
                undocumented.append(node["name"])
            columns = con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [node["schema"], node["name"]],
            ).fetchall()
            assert columns, f"{node['name']} was not built"
            undocumented += [
                f"{node['name']}.{column}"
                for (column,) in columns
                if not node["columns"].get(column, {}).get("description", "").strip()
            ]
    assert undocumented == []
