"""The Airflow DAGs' tests (airflow/tests/), run in a pytest process of their own.

Airflow leaves threads running in the process that imports it (dag.test()'s
in-process execution API); a later fork() there, as the parallel lake
generation does, can then hang. So Airflow is never imported in this process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import PROJECT_DIR

# The full tier (make test-all): Airflow runs the DAGs end to end with dag.test().
pytestmark = pytest.mark.full


def test_the_airflow_dags_parse_follow_the_policy_and_run_the_pipeline():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "airflow/tests", "-q", "-p", "no:cacheprovider"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in summary and "skipped" not in summary and "deselected" not in summary, summary
