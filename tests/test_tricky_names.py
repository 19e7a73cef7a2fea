"""Ordinary and awkward project names give a project that passes its own lint.

Import order once depended on where the package's name sorted among the test
modules ("Web Shop" failed `ruff check`), and long names pushed lines past 120
columns. Each name here is baked and linted as the project's `make lint` does:
ruff check, ruff format --check, and sqlfluff on the SQL the answers reach.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import bake

# The longest package name the pre_gen hook accepts is 40 characters: this name slugifies to exactly that.
LONGEST_NAME = "Northwind Regional Retail Analytics Hubs"
TRICKY_NAMES = [
    "Web Shop",  # sorts after "test_*" modules
    "Acme Retail Analytics Platform",
    LONGEST_NAME,
    'Zoë\'s "Ünïcode" Café & <Bar>',  # quotes, non-ASCII, HTML characters (escaped by tojson)
    "A",  # shortest
]
RUFF = str(Path(sys.executable).with_name("ruff"))


def _lint(command: list[str], project: Path) -> None:
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"


def test_the_longest_name_is_the_longest_accepted():
    from conftest import TEMPLATE_DIR

    assert len(LONGEST_NAME.lower().replace(" ", "_")) == 40
    assert "MAX_PACKAGE_LENGTH = 40" in (TEMPLATE_DIR / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", TRICKY_NAMES)
def test_a_tricky_name_gives_a_project_that_passes_ruff(name, tmp_path):
    project = bake(tmp_path, project_name=name, author_name=name)  # the author's name reaches Python too

    _lint([RUFF, "check", "."], project)
    _lint([RUFF, "format", "--check", "."], project)


def test_a_tricky_name_passes_sqlfluff(default_project, tmp_path):
    """The SQL the answers reach: infra/snowflake (rendered) and a dbt model under a long project name.

    The dbt models and macros are copied without rendering, so only dbt_project.yml's
    name differs between bakes: one long name stands for all. sqlfluff's dbt templater
    parses the whole project under that name to lint one model; every model is linted
    in the default bake (test_generated_project.py, pre-commit).
    """
    sqlfluff = str(default_project / ".venv" / "bin" / "sqlfluff")
    project = bake(tmp_path, project_name=LONGEST_NAME)

    _lint([sqlfluff, "lint", "--config", "infra/snowflake/.sqlfluff", "infra/snowflake"], project)
    _lint([sqlfluff, "lint", "dbt/models/marts/fct_orders.sql"], project)
