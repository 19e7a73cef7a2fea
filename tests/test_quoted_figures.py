"""The figures the documentation quotes are the ones the default project prints.

docs/figures/demo-kpis.txt is the KPI summary of a `make demo` run; the docs build puts it
(and single figures of it) into the pages. This compares it with the default bake's own
summary. It runs after test_generated_project.py has run `make demo` on the shared bake,
and runs the demo itself when nothing is published there yet (another test may have made
an empty warehouse, as `make dbt-docs` does).
"""

from __future__ import annotations

import subprocess

from conftest import TEMPLATE_DIR, run, uv_executable

RECORDED = TEMPLATE_DIR / "docs" / "figures" / "demo-kpis.txt"


def kpi_summary(output: str) -> str:
    start = output.index("KPI summary")
    end = output.find("\n\n", start)
    return output[start : end if end != -1 else len(output)].rstrip() + "\n"


def test_the_recorded_kpis_are_what_the_default_project_prints(default_project):
    make = ["make", f"UV={uv_executable()}"]
    result = subprocess.run([*make, "kpis"], cwd=default_project, capture_output=True, text=True)
    if result.returncode != 0:  # nothing published yet
        result = run([*make, "demo"], cwd=default_project)
    assert kpi_summary(result.stdout) == RECORDED.read_text(encoding="utf-8")
