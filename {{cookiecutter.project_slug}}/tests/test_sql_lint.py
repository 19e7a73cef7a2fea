"""The SQL style gate: sqlfluff passes on the models and catches a planted violation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_DIR

SQLFLUFF = str(Path(sys.executable).with_name("sqlfluff"))


def lint(*paths):
    return subprocess.run([SQLFLUFF, "lint", *paths], capture_output=True, text=True, cwd=PROJECT_DIR)


def test_the_models_pass_the_sql_style_rules():
    result = lint("dbt/models")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_planted_style_violation_is_caught():
    planted = PROJECT_DIR / "dbt/models/staging/raw/zz_planted_violation.sql"
    planted.write_text("SELECT event_id FROM {% raw %}{{ ref('stg_events') }}{% endraw %}\n")
    try:
        result = lint(str(planted.relative_to(PROJECT_DIR)))
    finally:
        planted.unlink()
    assert result.returncode == 1
    assert "CP01" in result.stdout  # keywords must be lower case
