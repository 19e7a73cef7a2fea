"""Baking helpers shared by the template's tests."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
CONTEXT = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
TOGGLES = [name for name in CONTEXT if name.startswith("include_")]

# `make test` runs pytest inside make, which exports its level and flags. A make the tests
# start would then print "Entering/Leaving directory" lines into the output they compare;
# run every command as it runs from a plain terminal.
for make_variable in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS"):
    os.environ.pop(make_variable, None)

# The template's edition tools (strip solutions, release), a script rather than a package.
sys.path.insert(0, str(TEMPLATE_DIR / "scripts"))
course_editions = importlib.import_module("course_editions")


def uv_executable() -> str:
    """The uv that installed this environment: on PATH, or the one `make` bootstrapped."""
    found = shutil.which("uv") or str(TEMPLATE_DIR / ".tools" / "bin" / "uv")
    assert Path(found).exists(), "uv not found: run the tests with `make test`"
    return found


def bake(output_dir: Path, **answers) -> Path:
    """Bake the template with the default answers changed by `answers`; return the project folder."""
    return Path(cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=str(output_dir)))


def bake_cli(output_dir: Path, *answers: str) -> subprocess.CompletedProcess:
    """Bake through cookiecutter's command line, as a user does; answers as key=value."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "--output-dir",
            str(output_dir),
            str(TEMPLATE_DIR),
            *answers,
        ],
        capture_output=True,
        text=True,
    )


def run(command: list[str], cwd: Path, timeout: int = 1800, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **env}
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed in {cwd}:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    )
    return result


def text_files(project: Path):
    """Every text file of a baked project, skipping environments and generated data."""
    skipped = {".venv", ".tools", "data", "target", "logs", "__pycache__", ".git", ".pytest_cache", ".ruff_cache"}
    for path in sorted(project.rglob("*")):
        if path.is_file() and not skipped.intersection(path.relative_to(project).parts):
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default bake with its environment installed, shared by the heavy tests."""
    project = bake(tmp_path_factory.mktemp("default"))
    run(["make", "install", f"UV={uv_executable()}"], cwd=project)
    return project
