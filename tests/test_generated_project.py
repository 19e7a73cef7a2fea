"""The default bake runs its own commands: `make demo`, `make test-all`, and its pre-commit hooks offline.

These are the slow tests: one baked project and one installed environment serve them all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

from conftest import run, uv_executable

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
POPULATED_QUERY = """
import json, duckdb
con = duckdb.connect("data/warehouse.duckdb", read_only=True)
tables = [r[0] for r in con.execute(
    "select table_name from information_schema.tables where table_schema = 'analytics'").fetchall()]
print(json.dumps({
    "tables": {t: con.execute(f"select count(*) from analytics.{t}").fetchone()[0] for t in tables},
    "segments": dict(con.execute(
        "select rfm_segment, count(*) from analytics.analytics_customer_summary group by 1").fetchall()),
}))
"""

# A proxy that refuses every connection: any download attempt fails the command.
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


def test_make_demo_runs_the_pipeline_and_prints_the_kpis(default_project):
    result = run(["make", "demo", f"UV={uv_executable()}"], cwd=default_project)
    output = result.stdout
    for step in ("[1/4] Generating", "[2/4] Loading", "[3/4] Building", "[4/4] Reading"):
        assert step in output
    assert re.search(r"KPI summary, orders created 2025-09-\d\d to 2025-12-31", output)
    orders = int(re.search(r"Orders\s+([\d,]+)", output).group(1).replace(",", ""))
    assert orders > 1000
    assert re.search(r"Session conversion\s+\d+\.\d% of [\d,]+ sessions", output)
    # The demo quarter populates every analytics table and every RFM segment.
    populated = run([str(default_project / ".venv/bin/python"), "-c", POPULATED_QUERY], cwd=default_project)
    counts = json.loads(populated.stdout)
    assert set(counts["segments"]) == RFM_SEGMENTS and all(n > 0 for n in counts["segments"].values())
    assert all(n > 0 for n in counts["tables"].values()), counts["tables"]

    again = run(["make", "demo", f"UV={uv_executable()}"], cwd=default_project)
    kpi_block = output[output.index("KPI summary") : output.index("Where the data lives")]
    assert kpi_block in again.stdout  # a re-run loads nothing twice: the same figures
    assert "no new files" in again.stdout


def test_make_test_all_passes_in_the_generated_project(default_project):
    """Every test of the project: its fast tier (`make test`) and the long end-to-end runs marked `full`."""
    # About 25 min on a quiet 2-core machine; the limit leaves room for a busy one (a hang still ends).
    result = run(["make", "test-all", f"UV={uv_executable()}"], cwd=default_project, timeout=3600)
    assert re.search(r"\d+ passed", result.stdout)
    assert " failed" not in result.stdout and " skipped" not in result.stdout and "deselected" not in result.stdout
    assert "slowest 15 durations" in result.stdout


def git_copy(project, tmp_path):
    """A fresh git repository of the baked files, sharing the project's installed .venv."""
    repo = tmp_path / "repo"
    shutil.copytree(project, repo, ignore=shutil.ignore_patterns(".venv", "data", "target", "logs"))
    (repo / ".venv").symlink_to(project / ".venv")
    return repo


def pre_commit(repo, tmp_path, *args):
    return subprocess.run(
        [str(repo / ".venv/bin/pre-commit"), "run", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), **OFFLINE},
    )


def test_pre_commit_passes_offline_on_a_fresh_bake(default_project, tmp_path):
    """As a learner runs it after baking: the bake is a repository already (post_gen_project)."""
    repo = git_copy(default_project, tmp_path)
    assert (repo / ".git").is_dir()
    result = pre_commit(repo, tmp_path, "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sqlfluff (dbt models)" in result.stdout and "Passed" in result.stdout


def test_pre_commit_catches_a_planted_sql_style_violation(default_project, tmp_path):
    repo = git_copy(default_project, tmp_path)
    planted = "dbt/models/staging/raw/planted.sql"
    (repo / planted).write_text("SELECT 1 AS One\n")
    run(["git", "init", "-q"], cwd=repo)
    run(["git", "add", "-A"], cwd=repo)
    # The hook on the planted file alone, as a commit of it runs it (the whole project is linted above).
    result = pre_commit(repo, tmp_path, "sqlfluff-lint", "--files", planted)
    assert result.returncode == 1
    assert "CP01" in result.stdout and "planted.sql" in result.stdout
