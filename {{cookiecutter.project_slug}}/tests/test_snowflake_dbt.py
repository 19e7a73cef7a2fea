"""The same dbt models on Snowflake, through dbt-snowflake and fakesnow.

fakesnow is a DuckDB-backed Snowflake emulator: the test serves it on 127.0.0.1 and
points a test-only profile at it (host, port, protocol http), because the real path is
a cloud account. The raw table is seeded with the generator's events through the
Snowflake connector; `dbt build` then runs every model, data test, contract and the
first snapshot in Snowflake SQL (VARIANT paths, LATERAL FLATTEN, QUALIFY, ...), and
the marts and analytics tables must equal the local DuckDB build of the same events.

What fakesnow cannot run is named in FAKESNOW_GAPS and compiled for the Snowflake
target instead (then parsed by sqlfluff's Snowflake dialect, or run as a query):
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import snowflake.connector
import sqlfluff

# fakesnow.server is the function until its module is first imported (by the function itself):
# taken now, at collection, it stays the function for every test module.
from fakesnow import server as fakesnow_server

from {{ cookiecutter.package_name }}.ingest.generator import generate_events

from conftest import PROJECT_DIR, TEST_END, TEST_START

# The full tier (make test-all): the whole dbt project builds on fakesnow's server.
pytestmark = pytest.mark.full

FAKESNOW_GAPS = {
    "copy_into_raw_events": "COPY INTO from an S3 stage with ON_ERROR = CONTINUE, METADATA$FILENAME and "
    "METADATA$FILE_ROW_NUMBER, and VALIDATE() for the rejects: compiled and parsed; so are the statements "
    "that move events without a required field to the rejects and record LOAD_FAILED files (which needs "
    "COPY's result), and the check of required fields runs as a query on hostile rows",
    "incremental runs": "dbt-snowflake merges through a temporary table, which fakesnow cannot create: "
    "the incremental SQL of stg_events, dim_customers and analytics_orders is compiled and run as a query",
    "unit tests": "dbt unit tests build their fixtures as temporary tables: compiled",
    "FLATTEN's INDEX": "fakesnow numbers the elements with row_number() over (), so some order lines get "
    "another line's number: fct_order_items is compared by order and product, not by line number",
    "assert_order_items_sum_to_subtotal": "fakesnow sums NUMBER(12,2) columns as DOUBLE (Snowflake keeps "
    "them exact), so the lines' float sum can differ from the subtotal by 1e-14: excluded here",
    "publish_analytics": "fakesnow's parser rejects GRANT, and it turns CREATE OR REPLACE TABLE ... CLONE into "
    "a CREATE TABLE ... AS that fails on a table published before: the macro's statements are printed with "
    "dry_run and parsed as Snowflake SQL",
}
__doc__ += "\n".join(f"  - {name}: {gap}." for name, gap in FAKESNOW_GAPS.items())

DATABASE = "{{ cookiecutter.snowflake_database | upper }}"
DBT = str(Path(sys.executable).with_name("dbt"))
# Each table, the key that orders it, and the columns compared with the local build.
COMPARED = {
    "marts.fct_orders": ("order_id", "customer_id, order_status, total_amount, net_revenue, is_revenue"),
    # By product, not line number: see the FLATTEN gap.
    "marts.fct_order_items": ("order_id, product_id", "quantity, unit_price, line_amount, order_status"),
    "marts.dim_customers": ("customer_id", "orders_placed, revenue_orders, lifetime_revenue, sessions"),
    # dbt builds the analytics models into the candidate schema; publishing is tested below.
    "analytics_candidate.analytics_customer_summary": (
        "customer_id",
        "frequency, monetary, r_score, f_score, m_score, rfm_segment",
    ),
    "analytics_candidate.analytics_orders": ("order_id", "customer_order_number, days_since_previous_order"),
    "analytics_candidate.analytics_sessions": ("session_id", "session_date, orders_created, has_order"),
    "intermediate.int_session_events": ("session_id", "customer_id, product_views, cart_adds, has_order"),
}


def number(value):
    """Numbers as text, so 12.5 (DuckDB) and Decimal('12.50') (Snowflake) compare equal."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(Decimal(str(value)).normalize())
    return value


def normalised(rows) -> list[tuple]:
    return [tuple(number(value) for value in row) for row in rows]


@pytest.fixture(scope="module")
def snowflake_project(tmp_path_factory):
    """fakesnow on loopback, its raw table seeded with the two test weeks, and a profile pointing dbt at it."""
    work = tmp_path_factory.mktemp("snowflake")
    with fakesnow_server() as server:
        logging.getLogger("fakesnow.server").setLevel(logging.WARNING)  # not every statement it runs
        (work / "profiles.yml").write_text(
            f"""{{ cookiecutter.package_name }}:
  target: snowflake
  outputs:
    snowflake:
      type: snowflake
      account: {server["account"]}
      user: {server["user"]}
      password: {server["password"]}
      host: {server["host"]}
      port: {server["port"]}
      protocol: {server["protocol"]}
      database: {DATABASE}
      warehouse: {{ cookiecutter.snowflake_warehouse | upper }}
      role: {{ cookiecutter.snowflake_role | upper }}
      schema: main
      threads: 1
"""
        )
        with snowflake.connector.connect(**server) as connection:
            cursor = connection.cursor()
            cursor.execute(f"create database if not exists {DATABASE}")
            cursor.execute(f"use database {DATABASE}")
            cursor.execute("create schema if not exists raw")
            # As infra/snowflake/05_raw_tables.sql creates them; replaced, because fakesnow's servers
            # in one process share one in-memory catalog, which the setup test may have used.
            cursor.execute(
                "create or replace table raw.raw_events "
                "(event variant, source_file varchar, file_row_number number, loaded_at timestamp_ntz)"
            )
            cursor.execute(
                "create or replace table raw.raw_events_rejects (source_file varchar, file_row_number number, "
                "rejected_record varchar, error varchar, rejected_at timestamp_ntz)"
            )
            events = generate_events({{ cookiecutter.seed | int }}, TEST_START, TEST_END)
            for start in range(0, len(events), 5000):
                chunk = events[start : start + 5000]
                cursor.execute(
                    "insert into raw.raw_events "
                    "select value, 'raw-events/seeded.json.gz', %s + index + 1, current_timestamp()::timestamp_ntz "
                    "from table(flatten(input => parse_json(%s)))",
                    (start, "[" + ",".join(event.to_json() for event in chunk) + "]"),
                )
        yield work, server


def dbt(work: Path, *args: str) -> subprocess.CompletedProcess:
    command = [DBT, *args, "--project-dir", str(PROJECT_DIR / "dbt"), "--profiles-dir", str(work)]
    command += ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    env = {**os.environ, "DBT_TARGET": "snowflake"}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=PROJECT_DIR / "dbt")


def compiled(work: Path, *args: str) -> str:
    result = dbt(work, "compile", "--quiet", "--output", "text", *args)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def snowflake_build(snowflake_project):
    work, server = snowflake_project
    result = dbt(
        work,
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--exclude",
        "assert_order_items_sum_to_subtotal",
    )
    assert result.returncode == 0, result.stdout[-5000:]
    return work, server, result.stdout


def test_dbt_build_passes_on_snowflake_sql(snowflake_build):
    _, _, output = snowflake_build
    for model in ("stg_events", "fct_orders", "fct_order_items", "dim_customers", "analytics_customer_summary"):
        assert f" {model} " in output or f".{model} " in output, model
    assert "ERROR=0" in output and "snapshotted snapshots.orders_status_history" in output


def test_the_snowflake_tables_equal_the_local_build(snowflake_build, built_warehouse):
    _, server, _ = snowflake_build
    with (
        snowflake.connector.connect(**server, database=DATABASE) as snowflake_connection,
        duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as duckdb_connection,
    ):
        cursor = snowflake_connection.cursor()
        for table, (key, columns) in COMPARED.items():
            query = f"select {key}, {columns} from {table} order by {key}"
            local = normalised(duckdb_connection.execute(query).fetchall())
            cursor.execute(query)
            remote = normalised(cursor.fetchall())
            assert len(local) > 0 and remote == local, table


def test_what_fakesnow_cannot_run_compiles_for_snowflake(snowflake_build):
    work, server, _ = snowflake_build
    compiled_dir = work / "target" / "compiled" / "{{ cookiecutter.package_name }}" / "models"

    # The load: every statement compiles and parses as Snowflake SQL.
    macros = (
        "snowflake_copy_into_raw_events_sql()",
        "snowflake_insert_raw_events_rejects_sql()",
        "snowflake_reject_events_missing_fields_sql('2025-10-01 00:00:00')",
        "snowflake_record_quarantined_file_sql('raw-events/2025/10/01/00/x.json.gz', 'Invalid data encountered')",
    )
    inline = ";\n".join("{% raw %}{{ {% endraw %}" + macro + "{% raw %} }}{% endraw %}" for macro in macros)
    result = dbt(work, "compile", "--quiet", "--output", "text", "--inline", inline)
    assert result.returncode == 0, result.stdout[-3000:]
    load_sql = result.stdout.strip()
    assert "copy into raw.raw_events" in load_sql and "validate(raw.raw_events" in load_sql
    assert "missing required field customer.customer_id" in load_sql and "merge into raw.quarantined_files" in load_sql
    sqlfluff.parse(load_sql + ";\n", dialect="snowflake")  # raises on anything it cannot parse

    # The unit tests: dbt compiles each, then fails only where fakesnow lacks temporary tables.
    result = dbt(work, "test", "--select", "resource_type:unit_test")
    unit_tests = sorted(compiled_dir.glob("**/*.yml/models/**/*.sql"))
    assert len(unit_tests) >= 5 and result.stdout.count("ERROR=") == 1, result.stdout[-3000:]
    assert result.stdout.count('TEMPORARY table names can *only* use the "temp" catalog') == len(unit_tests)

    # The incremental branch (the tables exist now, so is_incremental() is true).
    result = dbt(work, "compile", "--select", "stg_events", "dim_customers", "analytics_orders")
    assert result.returncode == 0, result.stdout[-3000:]
    incremental = [
        compiled_dir / "staging" / "raw" / "stg_events.sql",
        compiled_dir / "marts" / "dim_customers.sql",
        compiled_dir / "analytics" / "analytics_orders.sql",
    ]
    assert "dateadd" in incremental[0].read_text().lower()

    # Each compiled query runs on fakesnow: the unit tests' over their fixtures, returning rows.
    with snowflake.connector.connect(**server, database=DATABASE) as connection:
        cursor = connection.cursor()
        for path in [*unit_tests, *incremental]:
            cursor.execute(f"select count(*) from ({path.read_text().strip().rstrip(';')}) as compiled_rows")
            rows = cursor.fetchone()[0]
            assert rows > 0 or path in incremental, path.name


def test_publishing_clones_each_candidate_into_the_published_schema(snowflake_build):
    """publish_analytics on Snowflake, as far as fakesnow goes (see FAKESNOW_GAPS): dry_run prints the statements."""
    work, _, _ = snowflake_build
    result = dbt(work, "run-operation", "publish_analytics", "--args", "{dry_run: true}")
    assert result.returncode == 0, result.stdout[-3000:]
    statements = [line.split("  ", 1)[-1].strip() for line in result.stdout.splitlines() if line.rstrip().endswith(";")]
    published = f"{DATABASE.lower()}.analytics"
    expected = [f"create schema if not exists {published}"]
    for table in ("analytics_customer_summary", "analytics_order_items", "analytics_orders", "analytics_sessions"):
        # A zero-copy clone: the candidate stays whole for the next incremental build.
        expected += [
            f"create or replace table {published}.{table} clone {published}_candidate.{table}",
            f"grant select on table {published}.{table} to role reporter",
        ]
    # Last, once every table is published: the watermark of the hourly tests (dbt/macros/tests/tested_rows.sql).
    staging = f"{DATABASE.lower()}.staging"
    expected.append(
        f"create or replace table {staging}.stg_events_tested_rows_watermark as select "
        f"coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) as loaded_after from {staging}.stg_events"
    )
    assert [statement.rstrip(";").lower().replace('"', "") for statement in statements] == expected
    sqlfluff.parse("\n".join(statements) + "\n", dialect="snowflake")


def test_hostile_rows_are_named_by_the_snowflake_sql(snowflake_build):
    """Required fields (load), values that do not convert and implausible times (staging), in Snowflake SQL.

    Hostile rows are added to the emulator's raw table, read through the contract check
    and the stg_quarantined_events table (built again on them), and removed again.
    """
    work, server, _ = snowflake_build
    inline = "{% raw %}{{ raw_event_missing_field('event') }}{% endraw %}"
    result = dbt(work, "compile", "--quiet", "--output", "text", "--inline", inline)
    assert result.returncode == 0, result.stdout[-3000:]
    missing_field = result.stdout.strip()
    hostile = {
        "no-type": '{"event_id": "no-type", "event_timestamp": "2025-10-02T00:00:00.000Z", "session_id": "s", '
        '"customer": {"customer_id": "c"}}',
        "month-13": '{"event_id": "month-13", "event_type": "product_viewed", "event_timestamp": '
        '"2025-13-45T00:00:00.000Z", "session_id": "s", "customer": {"customer_id": "c"}}',
        "price-word": '{"event_id": "price-word", "event_type": "product_viewed", "event_timestamp": '
        '"2025-10-02T00:00:00.000Z", "session_id": "s", "customer": {"customer_id": "c"}, '
        '"product": {"price": "ten dollars"}}',
        "year-2999": '{"event_id": "year-2999", "event_type": "product_viewed", "event_timestamp": '
        '"2999-01-01T00:00:00.000Z", "session_id": "s", "customer": {"customer_id": "c"}}',
    }
    with snowflake.connector.connect(**server, database=DATABASE) as connection:
        cursor = connection.cursor()
        for row, event in enumerate(hostile.values(), start=1):
            cursor.execute(
                "insert into raw.raw_events (event, source_file, file_row_number, loaded_at) "
                "select parse_json(%s), 'hostile.json.gz', %s, current_timestamp()::timestamp_ntz",
                (event, row),
            )
        try:
            cursor.execute(
                f"select event:event_id::varchar, {missing_field} from raw.raw_events "
                "where source_file = 'hostile.json.gz' order by file_row_number"
            )
            contract = dict(cursor.fetchall())
            rebuilt = dbt(work, "run", "--select", "stg_quarantined_events")
            assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
            cursor.execute(
                "select event_id, reason from staging.stg_quarantined_events "
                "where source_file = 'hostile.json.gz' order by file_row_number"
            )
            set_aside = dict(cursor.fetchall())
        finally:
            cursor.execute("delete from raw.raw_events where source_file = 'hostile.json.gz'")
            dbt(work, "run", "--select", "stg_quarantined_events")  # without them again, for the other tests
    assert contract == {
        "no-type": "missing required field event_type",
        "month-13": None,
        "price-word": None,
        "year-2999": None,
    }
    # no-type never reaches staging on Snowflake (the load moves it to the rejects); here it is still raw.
    assert set_aside["month-13"].startswith("event_timestamp: '2025-13-45")
    assert set_aside["price-word"] == "product.price: 'ten dollars' is not decimal(12,2)"
    assert set_aside["year-2999"] == "event_timestamp is more than 24 hours after its load"
