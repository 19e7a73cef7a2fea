"""The dbt project's own artefacts on the local target: docs, source freshness, the order status snapshot."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
import sys

import duckdb

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.warehouse.dbt_runner import run_dbt, run_results_path, target_dir

MODELS = {
    "stg_events",
    "stg_quarantined_events",
    "stg_rejected_lines",
    "int_session_events",
    "int_order_lifecycle",
    "int_order_items_flattened",
    "int_customer_purchase_history",
    "dim_customers",
    "fct_orders",
    "fct_order_items",
    "analytics_orders",
    "analytics_order_items",
    "analytics_customer_summary",
    "analytics_sessions",
    "audit_events_missing_from_staging",
}


def test_dbt_starts_without_compiling_a_uri_grammar():
    """dbt imports jsonschema at every start; rfc3987-syntax (kept out in pyproject.toml) would make
    that import build a parser with lark, 2 s more for every dbt command."""
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, dbt.cli.main; print(sorted({'jsonschema', 'lark'} & set(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip() == "['jsonschema']"


def test_dbt_docs_generate_documents_every_model(built_warehouse):
    run_dbt(built_warehouse, "docs", "generate")
    target = target_dir(built_warehouse.dbt_dir)
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    # The course assignments' models (assignments/README.md) are checked by `make check`, not here.
    documented = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and not node["path"].startswith("assignments/")
    }
    catalogued = {node["metadata"]["name"]: node for node in catalog["nodes"].values()}
    assert documented == MODELS
    assert set(catalogued) >= MODELS
    # the catalog holds each built relation's real columns and types, read from the warehouse
    assert catalogued["fct_orders"]["columns"]["net_revenue"]["type"].upper().startswith("DECIMAL")
    assert "orders_status_history" in catalogued


def test_the_unit_tests_pass_on_the_built_models(built_warehouse):
    """dbt's unit tests (unit_tests: in the models' YAML) on DuckDB: the hourly builds leave them out."""
    run_dbt(built_warehouse, "test", "--select", "test_type:unit")
    results = json.loads(run_results_path(built_warehouse).read_text())["results"]
    assert len(results) >= 5
    assert {result["unique_id"].split(".")[0] for result in results} == {"unit_test"}
    assert {result["status"] for result in results} == {"pass"}


def freshness_status(settings) -> str:
    """`dbt source freshness` on raw.raw_events; the status dbt wrote for it."""
    # An error status also makes dbt exit non-zero: the status it wrote says which.
    with contextlib.suppress(PipelineError):
        run_dbt(settings, "source", "freshness", "--select", "source:raw.raw_events")
    sources = json.loads((target_dir(settings.dbt_dir) / "sources.json").read_text())
    (result,) = sources["results"]
    return result["status"]


def test_source_freshness_passes_after_a_load_and_errors_when_stale(built_warehouse, tmp_path):
    assert freshness_status(built_warehouse) == "pass"

    # The same warehouse, its last load 7 hours ago: past error_after (6 hours).
    stale = dataclasses.replace(built_warehouse, warehouse_path=tmp_path / "stale.duckdb")
    shutil.copyfile(built_warehouse.warehouse_path, stale.warehouse_path)
    with duckdb.connect(str(stale.warehouse_path)) as con:
        con.execute("update raw.raw_events set loaded_at = loaded_at - interval 7 hour")
    assert freshness_status(stale) == "error"


def test_the_order_status_snapshot_holds_the_current_status_of_every_order(built_warehouse):
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as con:
        mismatches = con.execute(
            "select count(*) from marts.fct_orders as orders "
            "full join (select * from snapshots.orders_status_history where dbt_valid_to is null) as current_rows "
            "on orders.order_id = current_rows.order_id "
            "where current_rows.order_id is null or orders.order_id is null "
            "or orders.order_status <> current_rows.order_status "
            "or current_rows.dbt_valid_from <> orders.status_changed_at"
        ).fetchone()[0]
    assert mismatches == 0
