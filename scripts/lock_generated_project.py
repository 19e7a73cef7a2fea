"""Re-resolve the generated project's uv.lock and store it in the template.

Run after changing the dependencies in {{cookiecutter.project_slug}}/pyproject.toml
(`make lock`). It bakes the default project, runs `uv lock` there, and writes the
lock back with the project's own name turned into the template variable, so every
bake ships a lock that matches its pyproject.toml.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
LOCK_IN_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "uv.lock"


def main() -> int:
    uv = shutil.which("uv") or sys.exit("uv is not on PATH")
    with tempfile.TemporaryDirectory() as workspace:
        project = Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, output_dir=workspace))
        subprocess.run([uv, "lock"], cwd=project, check=True)
        lock = (project / "uv.lock").read_text(encoding="utf-8")
        slug = project.name
    pattern = f'\n[[package]]\nname = "{slug}"\n'
    if lock.count(pattern) != 1:
        sys.exit(f"expected exactly one [[package]] entry named {slug!r} in the lock")
    lock = lock.replace(pattern, '\n[[package]]\nname = "{{ cookiecutter.project_slug }}"\n')
    if re.search(r"\{\{(?! cookiecutter\.project_slug }})|\{%", lock):
        sys.exit("the lock holds Jinja-like text that cookiecutter would try to render")
    LOCK_IN_TEMPLATE.write_text(lock, encoding="utf-8")
    print(f"wrote {LOCK_IN_TEMPLATE.relative_to(TEMPLATE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
