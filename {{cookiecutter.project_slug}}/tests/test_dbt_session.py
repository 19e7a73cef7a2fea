"""One dbt process for many commands (`dbt_session.one_dbt_process`), as the notebooks use it.

Inside the block, the project's own calls (the load, run_dbt) must do what a dbt process
per command does, without starting one; leaving the block stops the session.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from datetime import UTC, datetime

import duckdb
import pytest

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.warehouse.dbt_runner import run_dbt, session_routes
from {{ cookiecutter.package_name }}.warehouse.dbt_session import one_dbt_process, run_in_session
from {{ cookiecutter.package_name }}.warehouse.load import load_new_files

START = datetime(2025, 10, 1, tzinfo=UTC)
END = datetime(2025, 10, 1, 6, tzinfo=UTC)


def raw_events(settings) -> int:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute("select count(*) from raw.raw_events").fetchone()[0]


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_commands_of_the_block_run_in_one_session_that_stops_with_it(settings, monkeypatch):
    generated = generate_to_lake(settings, START, END)
    with one_dbt_process(settings) as session:

        def no_new_process(*args, **kwargs):
            raise AssertionError(f"a process was started inside the block: {args[0]}")

        monkeypatch.setattr(subprocess, "Popen", no_new_process)
        first = load_new_files(settings)
        assert first.new_files == generated.files
        assert raw_events(settings) == generated.events
        assert load_new_files(settings).new_files == 0  # a re-run loads nothing twice
        assert raw_events(settings) == generated.events
        with pytest.raises(PipelineError, match="no_such_macro failed"):
            run_dbt(settings, "run-operation", "no_such_macro")
        # The call the transform DAG's tasks make: silent on success, PipelineError on failure.
        run_in_session(session, "run-operation", "copy_into_raw_events")
        with pytest.raises(PipelineError, match="no_such_macro failed"):
            run_in_session(session, "run-operation", "no_such_macro")
        other = dataclasses.replace(settings, warehouse_path=settings.warehouse_path.with_name("other.duckdb"))
        assert other not in session_routes  # other settings still get a dbt process of their own
        monkeypatch.undo()
    assert settings not in session_routes
    assert not running(session.pid)
