"""Airflow as a learner runs it: `make airflow`, the real scheduler, one hour end to end, then Ctrl-C.

Full tier (minutes): Airflow starts from scratch (its database migrated, the pools
created), the DAG processor parses the DAG folder, the scheduler runs the tasks
on its executor. Airflow is never imported here: it runs in processes of its own
and is driven through its REST API (every user an admin, on a loopback port).
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.ingest.lake import list_lake_files
from {{ cookiecutter.package_name }}.warehouse.kpis import read_kpis

from conftest import PROJECT_DIR, make_settings

pytestmark = pytest.mark.full

DAY_START = datetime(2025, 10, 1, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)
LAST_HOUR = DAY_END - timedelta(hours=1)


class AirflowApi:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}/api/v2"

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def runs(self, dag_id: str) -> list[dict]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns?order_by=-run_after")["dag_runs"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, timeout: float, airflow: subprocess.Popen, log: Path):
    """Poll check() every 2 s until it returns something true; fail with Airflow's log if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert airflow.poll() is None, f"make airflow exited while waiting for {what}:\n{log.read_text()[-4000:]}"
        try:
            result = check()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            result = None
        if result:
            return result
        time.sleep(2)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")


def airflow_processes(airflow_home: Path) -> list[str]:
    """The processes still running with this test's AIRFLOW_HOME (Airflow's, its workers, dbt sessions)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if process.environ().get("AIRFLOW_HOME") == str(airflow_home):
                found.append(f"{process.pid}: {' '.join(process.info['cmdline'] or [])}")
        except (psutil.Error, OSError):
            continue
    return found


def expected_figures(lake: Path) -> tuple[int, int]:
    """Orders and sessions counted straight from the lake files: distinct order and session ids."""
    orders, sessions = set(), set()
    for path in list_lake_files(lake):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                event = json.loads(line)
                sessions.add(event["session_id"])
                if event.get("order"):
                    orders.add(event["order"]["order_id"])
    return len(orders), len(sessions)


def test_make_airflow_runs_an_hour_through_the_scheduler_and_ctrl_c_leaves_nothing(tmp_path):
    """One day of events in the lake. `make airflow` starts; the ingestion DAG is triggered for the day's
    last hour (run parameter `hour`): it senses that hour's files and loads the lake, which updates the
    raw asset; the transformation starts by itself on it and publishes. The KPIs match the lake. Then
    Ctrl-C (SIGINT to make's process group, as a terminal sends it): make returns, no process is left."""
    settings = make_settings(tmp_path / "data")
    generate_to_lake(settings, DAY_START, DAY_END)
    airflow_home = tmp_path / "airflow"
    port = free_port()
    log = tmp_path / "make-airflow.log"
    env = {
        **os.environ,
        "LAKE_DIR": str(settings.lake_dir),
        "WAREHOUSE_PATH": str(settings.warehouse_path),
        "DBT_TARGET": "local",
        # The REST API without a login, for this test only.
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
    }
    env.pop("AIRFLOW_HOME", None)
    started = time.monotonic()
    with log.open("w") as output:
        make = subprocess.Popen(
            ["make", "airflow", f"AIRFLOW_PORT={port}", f"AIRFLOW_STATE={airflow_home}"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal gives a command
        )
    api = AirflowApi(port)
    try:
        wait_for("the DAGs to be parsed", lambda: api.call("GET", "/dags/transform_dbt_models"), 600, make, log)
        wait_for("the ingestion DAG to be parsed", lambda: api.call("GET", "/dags/ingest_raw_events"), 120, make, log)
        ready = time.monotonic() - started
        for dag_id in ("transform_dbt_models", "ingest_raw_events"):
            api.call("PATCH", f"/dags/{dag_id}", {"is_paused": False})
        hour = {"logical_date": None, "conf": {"hour": f"{LAST_HOUR:%Y-%m-%dT%H:%M}"}}
        triggered = api.call("POST", "/dags/ingest_raw_events/dagRuns", hour)

        def ingest_finished():
            state = api.call("GET", f"/dags/ingest_raw_events/dagRuns/{triggered['dag_run_id']}")["state"]
            return state if state in ("success", "failed") else None

        assert wait_for("the ingestion run", ingest_finished, 600, make, log) == "success"
        transform_started = time.monotonic()

        def transform_finished():
            runs = api.call("GET", "/dags/transform_dbt_models/dagRuns")["dag_runs"]
            done = [run for run in runs if run["state"] in ("success", "failed")]
            return done[0] if done else None

        transform = wait_for("the asset-triggered transformation", transform_finished, 1200, make, log)
        assert transform["state"] == "success", log.read_text()[-4000:]
        assert transform["run_type"] == "asset_triggered"
        ended, began = (datetime.fromisoformat(transform[moment]) for moment in ("end_date", "start_date"))
        seconds = (ended - began).total_seconds()
        print(
            f"\nmake airflow ready in {ready:.0f} s; transform_dbt_models run {seconds:.0f} s "
            f"(waited {time.monotonic() - transform_started:.0f} s)"
        )
        kpis = read_kpis(settings.warehouse_path)
        assert (kpis.orders, kpis.sessions) == expected_figures(settings.lake_dir)
        assert kpis.orders > 0 and kpis.revenue > 0
    finally:
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        try:
            make.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            pytest.fail(f"make airflow did not stop within 2 minutes of Ctrl-C:\n{log.read_text()[-4000:]}")
    time.sleep(1)
    assert airflow_processes(airflow_home) == [], log.read_text()[-3000:]
    assert "Airflow stopped" in log.read_text()
