"""Shared fixtures: a settings object pointing at temporary data, one built warehouse, a fakesnow server."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.settings import DEFAULT_SEED, Settings
from {{ cookiecutter.package_name }}.warehouse.dbt_runner import build_models
from {{ cookiecutter.package_name }}.warehouse.load import load_lake
from {{ cookiecutter.package_name }}.warehouse.publish import publish

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Two weeks: enough for every funnel branch and repeat buyers, quick to build.
TEST_START = datetime(2025, 10, 1, tzinfo=UTC)
TEST_END = datetime(2025, 10, 15, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    """`make test` runs one pytest-xdist worker per CPU. Each worker's dbt writes target and log
    folders of its own: two dbt commands at once must not share a manifest or run_results.json."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ["DBT_TARGET_PATH"] = str(PROJECT_DIR / "dbt" / "target" / f"test-{worker}")
        os.environ["DBT_LOG_PATH"] = str(PROJECT_DIR / "dbt" / "logs" / f"test-{worker}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules with long end-to-end runs (marked `full`) first, the others after, each in file order.

    Workers take whole modules in this order (Makefile: PYTEST_WORKERS); the short modules then
    fill in around the long ones, where a long module handed out last would leave a worker idle."""
    long_modules = {item.path for item in items if item.get_closest_marker("full")}
    items.sort(key=lambda item: item.path not in long_modules)


def event_schema() -> dict:
    """The event contract (JSON Schema) the package ships."""
    contracts = resources.files("{{ cookiecutter.package_name }}") / "contracts"
    return json.loads((contracts / "event.schema.json").read_text())


def make_settings(data_dir: Path, **changes) -> Settings:
    settings = Settings(
        project_dir=PROJECT_DIR,
        lake_dir=data_dir / "lake",
        warehouse_path=data_dir / "warehouse.duckdb",
        dbt_target="local",
        seed=DEFAULT_SEED,
        lake_buffer_seconds=900,
        lake_buffer_mib=5,
    )
    return dataclasses.replace(settings, **changes)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Two weeks generated, loaded, built with dbt and published once for the whole test session.

    Published when every dbt test passed{% if cookiecutter.include_quality %}, without the quality suites (test_quality*.py
    runs them on this warehouse){% endif %}.
    """
    settings = make_settings(tmp_path_factory.mktemp("pipeline"))
    generate_to_lake(settings, TEST_START, TEST_END)
    load_lake(settings)
    failed_tests = build_models(settings)
    assert not failed_tests, failed_tests
    publish(settings)
    return settings


@pytest.fixture
def warehouse_copy(built_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the built warehouse and its lake, for a test that changes them.

    Always at the same path: dbt re-parses the whole project when the profile's
    WAREHOUSE_PATH changes, so one path lets consecutive tests reuse its parse.
    """
    folder = tmp_path_factory.getbasetemp() / "warehouse-copy"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    settings = make_settings(folder)
    shutil.copytree(built_warehouse.lake_dir, settings.lake_dir)
    shutil.copyfile(built_warehouse.warehouse_path, settings.warehouse_path)
    return settings


@pytest.fixture(scope="module")
def fake_snowflake():
    """fakesnow's server (a DuckDB-backed Snowflake emulator) on a free loopback port, in its own process.

    One per test module, for the Snowflake paths that cannot run here without an account.

    Not in this one: its DuckDB and event-loop threads would outlive the test,
    and a later test that forks worker processes could inherit a held lock.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "fakesnow", "--server", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "fakesnow's server exited"
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "fakesnow's server did not start"
            time.sleep(0.1)
        yield {
            "account": "fakesnow",
            "user": "fake",
            "password": "snow",
            "host": "127.0.0.1",
            "port": port,
            "protocol": "http",
        }
    finally:
        server.send_signal(signal.SIGINT)  # its way to stop
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
