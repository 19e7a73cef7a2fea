"""Every supported Python runs the generated project.

The range is the generated project's `requires-python`; the template, both locks and the
README say the same. A plain bake runs on the Python uv finds first (the default project
of test_generated_project.py, whose tests run there); this bakes again and runs the
project's fast tier (`make test`) on the oldest and the newest supported Python present on
the machine, when they differ from that one.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import TEMPLATE_DIR, bake, run, uv_executable

PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"


def requires_python(pyproject: Path) -> tuple[int, int]:
    """The minor versions `>=3.low,<3.high` a pyproject admits, as (low, high)."""
    found = re.search(r'requires-python = ">=3\.(\d+),<3\.(\d+)"', pyproject.read_text(encoding="utf-8"))
    assert found, f"{pyproject}: requires-python is not of the form >=3.x,<3.y"
    return int(found[1]), int(found[2])


LOW, HIGH = requires_python(PROJECT_TEMPLATE / "pyproject.toml")
SUPPORTED = [f"3.{minor}" for minor in range(LOW, HIGH)]


def version_of(python: str) -> str:
    result = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True)
    return result.stdout.decode().strip()


def local_pythons() -> dict[str, str]:
    """The supported versions present here: found by uv on PATH, or installed by pyenv."""
    found = {}
    environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    pyenv_versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for version in SUPPORTED:
        result = subprocess.run(
            [uv_executable(), "python", "find", "--system", version], capture_output=True, env=environment
        )
        candidates = [result.stdout.decode().strip()] if result.returncode == 0 else []
        candidates += sorted(str(path) for path in pyenv_versions.glob(f"{version}.*/bin/python{version}"))
        working = [python for python in candidates if version_of(python) == version]
        if working:
            found[version] = working[0]
    return found


def uv_first_choice() -> str:
    """The version a plain bake installs: the first Python uv finds for the range."""
    result = subprocess.run(
        [uv_executable(), "python", "find", f">=3.{LOW},<3.{HIGH}"],
        capture_output=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    return version_of(result.stdout.decode().strip()) if result.returncode == 0 else ""


def minor(version: str) -> int:
    return int(version.split(".")[1])


PRESENT = local_pythons()
ENDS = {
    version for version in (min(PRESENT, key=minor, default=None), max(PRESENT, key=minor, default=None)) if version
}
OTHER_ENDS = sorted(ENDS - {uv_first_choice()})


def test_the_template_the_project_the_locks_and_the_readmes_agree_on_the_versions():
    assert LOW == 11 and HIGH > 12  # 3.11 (Debian 12, the machines here) and newer
    assert requires_python(TEMPLATE_DIR / "pyproject.toml") == (LOW, HIGH)
    for lock in (TEMPLATE_DIR / "uv.lock", PROJECT_TEMPLATE / "uv.lock"):
        assert f'requires-python = ">=3.{LOW}, <3.{HIGH}"' in lock.read_text(encoding="utf-8"), lock
    stated = ", ".join(SUPPORTED[:-1]) + f" and {SUPPORTED[-1]}"
    for readme in (TEMPLATE_DIR / "README.md", PROJECT_TEMPLATE / "README.md"):
        assert f"Python {stated}" in readme.read_text(encoding="utf-8"), readme


def test_a_plain_bake_runs_on_a_supported_python(default_project):
    assert version_of(str(default_project / ".venv" / "bin" / "python")) == uv_first_choice() in SUPPORTED


@pytest.mark.parametrize("version", OTHER_ENDS)
def test_the_project_tests_pass_on_the_other_supported_pythons_present(version, tmp_path):
    project = bake(tmp_path)
    run(["make", "install", f"UV={uv_executable()}", f"UV_PYTHON={PRESENT[version]}"], cwd=project)
    assert version_of(str(project / ".venv" / "bin" / "python")) == version
    # The fast tier takes minutes on an idle machine; a shared, loaded one needs longer.
    command = ["make", "test", f"UV={uv_executable()}", f"UV_PYTHON={PRESENT[version]}"]
    result = run(command, cwd=project, timeout=3600)
    assert re.search(r"\d+ passed", result.stdout) and " failed" not in result.stdout
