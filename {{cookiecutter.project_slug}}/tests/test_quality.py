"""The Great Expectations suites on DuckDB: clean data passes, each kind of bad row is caught and named.

The suites run on copies of the session's built warehouse (two weeks, published),
read through read-only DuckDB connections into pandas, as `make quality` does.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from click.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import main
from {{ cookiecutter.package_name }}.quality.expectations.runner import format_report, run_suites
from {{ cookiecutter.package_name }}.quality.expectations.suites import SUITES
from {{ cookiecutter.package_name }}.quality.gate import transform
from {{ cookiecutter.package_name }}.warehouse.publish import CANDIDATE_SCHEMA

from conftest import PROJECT_DIR


def copy_warehouse(built_warehouse, folder):
    settings = dataclasses.replace(
        built_warehouse, warehouse_path=folder / "warehouse.duckdb", lake_dir=folder / "lake"
    )
    shutil.copyfile(built_warehouse.warehouse_path, settings.warehouse_path)
    return settings


def latest_raw_event(con, event_type: str) -> dict:
    (document,) = con.execute(
        "select event from raw.raw_events where event->>'$.event_type' = ? "
        "order by event->>'$.event_timestamp' desc limit 1",
        [event_type],
    ).fetchone()
    return json.loads(document)


def insert_raw(con, event: dict, line: int = 1) -> None:
    con.execute(
        "insert into raw.raw_events (event, source_file, file_row_number, loaded_at) "
        "values (?, 'raw-events/planted.json.gz', ?, now()::timestamp)",
        [json.dumps(event), line],
    )


def same_id_other_device(event: dict) -> dict:
    """A different document with the same event_id (a redelivery would be identical)."""
    device = "tablet" if event["session"]["device"] != "tablet" else "mobile"
    return {**event, "session": {**event["session"], "device": device}}


def new_id(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012d}"


def plant_bad_rows(settings) -> None:
    """One bad row of each kind the suites look for, in raw and in the candidate analytics tables."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        view = latest_raw_event(con, "product_viewed")
        order = latest_raw_event(con, "order_created")

        negative_price = {**view, "event_id": new_id(1), "product": {**view["product"], "price": -1.0}}
        unknown_type = {**view, "event_id": new_id(2), "event_type": "teleported"}
        # An hour ahead: within the clock skew staging tolerates, so the raw suite sees it.
        in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        future = {**view, "event_id": new_id(3), "event_timestamp": in_an_hour}
        unparseable = {**view, "event_id": new_id(4), "event_timestamp": "yesterday-ish"}
        no_session = {**view, "event_id": new_id(5), "session_id": None}
        wrong_total = {
            **order,
            "event_id": new_id(6),
            "order": {**order["order"], "total_amount": round(order["order"]["total_amount"] + 1, 2)},
        }
        collision = same_id_other_device(view)
        # The unparseable time is set aside at staging (stg_quarantined_events): the raw suite leaves it out.
        planted = (negative_price, unknown_type, future, unparseable, no_session, wrong_total, collision)
        for line, event in enumerate(planted, start=1):
            insert_raw(con, event, line)

        con.execute(
            f"update {CANDIDATE_SCHEMA}.analytics_customer_summary set r_score = 6 where customer_id = "
            f"(select min(customer_id) from {CANDIDATE_SCHEMA}.analytics_customer_summary)"
        )
        con.execute(
            f"update {CANDIDATE_SCHEMA}.analytics_customer_summary set monetary = monetary + 1 where customer_id = "
            f"(select max(customer_id) from {CANDIDATE_SCHEMA}.analytics_customer_summary)"
        )
        con.execute(
            f"update {CANDIDATE_SCHEMA}.analytics_customer_summary set rfm_segment = 'Whales' where customer_id = "
            f"(select max(customer_id) from {CANDIDATE_SCHEMA}.analytics_customer_summary)"
        )
        con.execute(
            f"update {CANDIDATE_SCHEMA}.analytics_orders set net_revenue = -net_revenue where order_id = "
            f"(select min(order_id) from {CANDIDATE_SCHEMA}.analytics_orders where is_revenue)"
        )
        con.execute(
            f"insert into {CANDIDATE_SCHEMA}.analytics_sessions "
            f"select * from {CANDIDATE_SCHEMA}.analytics_sessions limit 1"
        )


@pytest.fixture(scope="module")
def clean_report(built_warehouse, tmp_path_factory):
    settings = copy_warehouse(built_warehouse, tmp_path_factory.mktemp("clean"))
    return run_suites(settings)


@pytest.fixture(scope="module")
def planted_report(built_warehouse, tmp_path_factory):
    settings = copy_warehouse(built_warehouse, tmp_path_factory.mktemp("planted"))
    plant_bad_rows(settings)
    return run_suites(settings)


def test_every_suite_passes_on_clean_generated_data(clean_report):
    assert [result.suite for result in clean_report.results] == [suite.name for suite in SUITES]
    assert clean_report.passed and clean_report.failures == ()
    for result in clean_report.results:
        assert result.expectations > 0 and result.passed == result.expectations, result
    assert clean_report.data_docs.is_file()
    assert clean_report.data_docs.parent.name == "data_docs"


def test_the_report_is_a_table_with_the_data_docs_path(clean_report):
    text = format_report(clean_report)
    lines = text.splitlines()
    assert lines[0].split() == ["suite", "expectations", "passed", "failed"]
    raw = next(line for line in lines if line.startswith("raw_events "))
    assert raw.split()[1:] == [str(clean_report.results[0].expectations)] * 2 + ["0"]
    assert lines[-1] == f"Data Docs: {clean_report.data_docs}"


@pytest.mark.parametrize(
    ("suite", "check", "unexpected"),
    [
        ("raw_events", "amount product_price non-negative", 1),
        ("raw_events", "event type in the known set", 1),
        ("raw_events", "event_timestamp not in the future", 1),
        ("raw_events", "required field session_id present", 1),
        ("raw_events", "order total_amount = subtotal + tax + shipping", 1),
        # Both documents that carry the id.
        ("raw_events", "event_id unique (an id names one event; redeliveries are identical)", 2),
        ("analytics_customer_summary", "RFM score r_score within 1-5", 1),
        ("analytics_customer_summary", "segment name in the known set", 1),
        # The planted customer, and the one whose order was negated below.
        ("analytics_customer_summary", "lifetime value (monetary) = the sum of the customer's orders' net revenue", 2),
        ("analytics_orders", "revenue net_revenue >= 0", 1),
        ("analytics_sessions", "key session_id unique", 2),
    ],
)
def test_each_planted_bad_row_fails_its_expectation_by_name(planted_report, suite, check, unexpected):
    (failure,) = [failure for failure in planted_report.failures if failure.startswith(f"{suite}: {check} (expect_")]
    assert f"): {unexpected} unexpected of " in failure, failure


def test_only_the_planted_rows_fail(planted_report):
    failed = {result.suite: result.failed for result in planted_report.results}
    # The LTV check also fails for the customer whose order was negated (its orders no longer sum to monetary).
    assert failed == {
        "raw_events": 6,
        "stg_events": 0,
        "analytics_orders": 1,
        "analytics_order_items": 0,
        "analytics_customer_summary": 3,
        "analytics_sessions": 1,
    }
    assert not planted_report.passed


def test_make_quality_prints_the_table_and_exits_1_on_a_failure(built_warehouse, tmp_path, monkeypatch):
    settings = copy_warehouse(built_warehouse, tmp_path)
    monkeypatch.setenv("PROJECT_DIR", str(PROJECT_DIR))
    monkeypatch.setenv("WAREHOUSE_PATH", str(settings.warehouse_path))
    runner = CliRunner()

    passing = runner.invoke(main, ["quality"])
    assert passing.exit_code == 0, passing.output
    assert "analytics_customer_summary" in passing.output
    assert f"Data Docs: {tmp_path / 'quality' / 'data_docs' / 'index.html'}" in passing.output

    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(f"update {CANDIDATE_SCHEMA}.analytics_customer_summary set m_score = 0")
    failing = runner.invoke(main, ["quality"])
    assert failing.exit_code == 1
    assert "FAILED analytics_customer_summary: RFM score m_score within 1-5" in failing.output


def test_the_gate_blocks_publishing_when_a_suite_fails(warehouse_copy):
    """dbt's tests pass (staging keeps the first copy of an event_id), the raw suite does not."""
    settings = warehouse_copy
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        published_before = con.execute("select * from analytics.analytics_orders order by all").fetchall()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        view = latest_raw_event(con, "product_viewed")
        insert_raw(con, same_id_other_device(view))

    result = transform(settings)

    assert not result.published and not result.gate.passed
    assert len(result.gate.failures) == 1
    assert result.gate.failures[0].startswith("raw_events: event_id unique")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select * from analytics.analytics_orders order by all").fetchall() == published_before
