"""The command line: user errors print one line, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PROJECT_DIR


def run_cli(*args, env_extra=None, cwd=PROJECT_DIR):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-c", "from {{ cookiecutter.package_name }}.cli import run; run()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )


def test_help_lists_every_pipeline_step():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("generate", "load", "transform", "kpis", "demo"):
        assert command in result.stdout


def test_kpis_without_a_warehouse_is_a_one_line_error(tmp_path):
    result = run_cli("kpis", env_extra={"WAREHOUSE_PATH": str(tmp_path / "missing.duckdb")})
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: no warehouse at")
    assert "Traceback" not in result.stderr


def test_a_bad_seed_setting_is_named_in_the_error():
    result = run_cli("kpis", env_extra={"EVENT_SEED": "forty-two"})
    assert result.returncode == 1
    assert "EVENT_SEED must be an integer, got 'forty-two'" in result.stderr


def test_outside_a_project_the_error_says_where_to_run(tmp_path):
    result = run_cli("kpis", cwd=tmp_path, env_extra={"PROJECT_DIR": ""})
    assert result.returncode == 1
    assert "run this command inside the generated project" in result.stderr


def test_bench_prints_each_figure():
    result = run_cli("bench", "--days", "1")
    assert result.returncode == 0, result.stderr
    for figure in ("events/s", "rows/s", "dbt build, first run", "ratio lake / generate", "peak memory"):
        assert figure in result.stdout
