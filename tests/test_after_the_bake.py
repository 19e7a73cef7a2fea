"""A baked project's life after the bake: it takes template updates with cruft, it can be
baked again from cookiecutter's replay, and its CI workflows and dev container run
commands that exist."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import TEMPLATE_DIR, TOGGLES, bake, run, text_files, uv_executable

CRUFT = str(Path(sys.executable).parent / "cruft")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}
ALL_PARTS_OFF = {toggle: False for toggle in TOGGLES}


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run(["git", *args], cwd=cwd, **GIT_IDENTITY)


def template_repository(destination: Path) -> Path:
    """A git repository holding the template's files as they are now (committed or not)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE_DIR / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    git("init", "-q", cwd=destination)
    git("add", "-A", cwd=destination)
    git("commit", "-qm", "Template as released", cwd=destination)
    return destination


def test_cruft_update_brings_a_template_change_into_a_baked_project(tmp_path):
    """An instructor fixes the template after the students baked: `cruft update` brings the
    fix in, and the student's own committed change stays."""
    template = template_repository(tmp_path / "template")
    run([CRUFT, "create", "--no-input", "--output-dir", str(tmp_path / "students"), str(template)], cwd=tmp_path)
    project = tmp_path / "students" / "ecommerce-analytics"
    recorded = json.loads((project / ".cruft.json").read_text())
    assert recorded["template"] == str(template)
    assert recorded["commit"] == git("rev-parse", "HEAD", cwd=template).stdout.strip()
    assert recorded["context"]["cookiecutter"]["project_slug"] == "ecommerce-analytics"

    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-qm", "Baked", cwd=project)
    with (project / ".env.example").open("a") as env_example:
        env_example.write("# the student's own note\n")
    git("commit", "-qam", "A change of my own", cwd=project)

    fix = "A line the instructor added after the bake."
    with (template / "{{cookiecutter.project_slug}}" / "README.md").open("a") as readme:
        readme.write(f"\n## A fix\n\n{fix}\n")
    git("commit", "-qam", "Fix the generated README", cwd=template)

    behind = subprocess.run([CRUFT, "check"], cwd=project, capture_output=True, text=True)
    assert behind.returncode == 1 and "out of date" in behind.stdout
    run([CRUFT, "update", "--skip-apply-ask"], cwd=project)

    assert fix in (project / "README.md").read_text()
    assert "# the student's own note" in (project / ".env.example").read_text()
    updated = json.loads((project / ".cruft.json").read_text())
    assert updated["commit"] == git("rev-parse", "HEAD", cwd=template).stdout.strip()
    assert "up to date" in run([CRUFT, "check"], cwd=project).stdout


def test_cookiecutter_replay_bakes_the_same_project_again(tmp_path):
    config = tmp_path / "cookiecutter-config.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\ncookiecutters_dir: {tmp_path / 'cookiecutters'}\n")
    cookiecutter = [sys.executable, "-m", "cookiecutter", "--config-file", str(config)]
    answers = ["project_name=Shop Insights", "seed=7", "include_airflow=no"]
    run([*cookiecutter, "--no-input", "-o", str(tmp_path / "first"), str(TEMPLATE_DIR), *answers], cwd=tmp_path)
    assert list((tmp_path / "replay").glob("*.json")), "cookiecutter wrote no replay file"
    run([*cookiecutter, "--replay", "-o", str(tmp_path / "again"), str(TEMPLATE_DIR)], cwd=tmp_path)

    first, again = tmp_path / "first" / "shop-insights", tmp_path / "again" / "shop-insights"
    first_files = {str(path.relative_to(first)): text for path, text in text_files(first)}
    again_files = {str(path.relative_to(again)): text for path, text in text_files(again)}
    assert first_files == again_files
    assert not (again / "airflow").exists() and "EVENT_SEED=7" in again_files[".env.example"]


def make_targets(makefile: Path) -> set[str]:
    return set(re.findall(r"^([a-z][a-z0-9-]*):", makefile.read_text(encoding="utf-8"), re.MULTILINE))


def workflow_make_targets(workflow: Path) -> list[str]:
    """Every `make <target>` a workflow's steps run; the file must be a valid workflow."""
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    assert document["name"] and (True in document or "on" in document)  # YAML 1.1 reads `on:` as True
    targets = []
    for job in document["jobs"].values():
        assert job["runs-on"] and job["steps"]
        for step in job["steps"]:
            assert "uses" in step or "run" in step, step
            targets += re.findall(r"\bmake\s+([a-z][a-z0-9-]*)", step.get("run", ""))
    return targets


def test_the_template_workflows_run_existing_make_targets():
    workflows = sorted((TEMPLATE_DIR / ".github" / "workflows").glob("*.yml"))
    named = {workflow.name: workflow_make_targets(workflow) for workflow in workflows}
    assert named == {"docs.yml": ["docs"], "test.yml": ["test"]}
    assert {"docs", "test"} <= make_targets(TEMPLATE_DIR / "Makefile")


@pytest.fixture(scope="module", params=["default", "all parts off"])
def baked(request, tmp_path_factory) -> Path:
    answers = {} if request.param == "default" else ALL_PARTS_OFF
    return bake(tmp_path_factory.mktemp("after-the-bake"), **answers)


def test_the_project_workflows_run_existing_make_targets(baked):
    workflows = sorted((baked / ".github" / "workflows").glob("*.yml"))
    named = {workflow.name: workflow_make_targets(workflow) for workflow in workflows}
    assert named["test.yml"] == ["test"]
    for targets in named.values():
        assert targets and set(targets) <= make_targets(baked / "Makefile")


def test_the_dev_container_installs_with_existing_commands_on_a_supported_python(baked):
    container = json.loads((baked / ".devcontainer" / "devcontainer.json").read_text(encoding="utf-8"))
    commands = [command.split() for command in container["postCreateCommand"].split("&&")]
    for program, *arguments in commands:
        assert shutil.which(program), program
        if program == "make":
            assert set(arguments) <= make_targets(baked / "Makefile")
    assert ["make", "install"] in commands

    image_python = re.search(r"python:\d+-(3\.\d+)-", container["image"]).group(1)
    pyproject = (baked / "pyproject.toml").read_text(encoding="utf-8")
    low, high = re.search(r'requires-python = ">=3\.(\d+),<3\.(\d+)"', pyproject).groups()
    assert int(low) <= int(image_python.split(".")[1]) < int(high)

    ports = {8081: "dbt-docs", 8501: "dashboard", 8080: "airflow", 8888: "notebooks"}
    targets = make_targets(baked / "Makefile")
    assert set(container["forwardPorts"]) == {port for port, target in ports.items() if target in targets}
    assert set(container["portsAttributes"]) == {str(port) for port in container["forwardPorts"]}


def test_make_reports_whether_uv_may_download_a_python(tmp_path):
    """Downloads stay off while a Python on the machine fits requires-python, on only when none does."""
    show = ["make", "-s", f"UV={uv_executable()}", "--eval", "show-downloads: ; @echo $$UV_PYTHON_DOWNLOADS"]
    show.append("show-downloads")
    environment = {name: value for name, value in os.environ.items() if name != "UV_PYTHON_DOWNLOADS"}
    project = bake(tmp_path)
    fits = subprocess.run(show, cwd=project, capture_output=True, text=True, env=environment)
    assert fits.stdout.strip() == "never", fits.stderr

    pyproject = project / "pyproject.toml"
    pyproject.write_text(re.sub(r'requires-python = "[^"]+"', 'requires-python = ">=3.99"', pyproject.read_text()))
    none_fits = subprocess.run(show, cwd=project, capture_output=True, text=True, env=environment)
    assert none_fits.stdout.strip() == "automatic", none_fits.stderr

    chosen = subprocess.run(
        show, cwd=project, capture_output=True, text=True, env={**environment, "UV_PYTHON_DOWNLOADS": "manual"}
    )
    assert chosen.stdout.strip() == "manual"
