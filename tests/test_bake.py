"""Baking: every option combination renders cleanly, prunes what it switched off, and parses."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import CONTEXT, TEMPLATE_DIR, TOGGLES, bake, course_editions, text_files

# The defaults, each toggle off alone, all toggles off, and the instructor edition of the assignments.
INSTRUCTOR = {"edition": "instructor", "course_salt": "a-course-salt-for-tests"}
COMBINATIONS = [{}] + [{toggle: False} for toggle in TOGGLES] + [{toggle: False for toggle in TOGGLES}, INSTRUCTOR]
COMBINATION_IDS = ["defaults"] + [f"no-{t.removeprefix('include_')}" for t in TOGGLES] + ["all-off", "instructor"]

# Any cookiecutter variable, anywhere; and any Jinja block outside dbt/, whose files keep their own.
COOKIECUTTER_VARIABLE = re.compile(r"cookiecutter\.\w+")
JINJA_BLOCK = re.compile(r"\{%-?\s*\w+")


@pytest.fixture(scope="module", params=COMBINATIONS, ids=COMBINATION_IDS)
def baked(request, tmp_path_factory) -> tuple[dict, Path]:
    return request.param, bake(tmp_path_factory.mktemp("bake"), **request.param)


def test_no_template_syntax_survives(baked):
    _, project = baked
    leftovers = []
    for path, text in text_files(project):
        relative = path.relative_to(project)
        patterns = [COOKIECUTTER_VARIABLE] + ([] if relative.parts[0] == "dbt" else [JINJA_BLOCK])
        leftovers += [f"{relative}: {m.group(0)}" for pattern in patterns for m in pattern.finditer(text)]
    assert leftovers == []


def test_dbt_templating_arrives_intact(baked):
    """dbt's files arrive unrendered; in the student edition, with the assignments' solutions stripped."""
    answers, project = baked
    student = answers.get("edition", "student") == "student"
    for folder in ("dbt/models", "dbt/macros", "dbt/tests", "dbt/snapshots"):
        source = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / folder
        copied = sorted(path.relative_to(source) for path in source.rglob("*") if path.is_file())
        assert copied, folder
        assert (
            sorted(path.relative_to(project / folder) for path in (project / folder).rglob("*") if path.is_file())
            == copied
        )
        for name in copied:
            expected = (source / name).read_text()
            if student:
                expected = course_editions.strip_solutions(expected)
            assert (project / folder / name).read_text() == expected, name
    stg_events = (project / "dbt/models/staging/raw/stg_events.sql").read_text()
    assert "{{\n    config(" in stg_events and "{{ source('raw', 'raw_events') }}" in stg_events
    assert "{% macro copy_into_raw_events() %}" in (project / "dbt/macros/load/copy_into_raw_events.sql").read_text()
    profiles = (project / "dbt/profiles.yml").read_text()
    assert "target: \"{{ env_var('DBT_TARGET', 'local') }}\"" in profiles
    assert "\"{{ env_var('SNOWFLAKE_DATABASE', 'ECOMMERCE') }}\"" in profiles
    planted = (project / "tests/test_sql_lint.py").read_text()
    assert "{{ ref('stg_events') }}" in planted


class CloudFormationLoader(yaml.SafeLoader):
    """Safe YAML that also reads CloudFormation's short-form tags (!Ref, !Sub, !Not, ...) as plain values."""


CloudFormationLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_mapping(node)
    ),
)


def test_every_structured_file_parses(baked):
    _, project = baked
    checked = 0
    for path, text in text_files(project):
        if path.suffix == ".toml" or path.name == "uv.lock":
            tomllib.loads(text)
        elif path.suffix in (".yml", ".yaml"):
            yaml.load(text, Loader=CloudFormationLoader)
        elif path.suffix in (".json", ".ipynb"):
            json.loads(text)
        elif path.suffix == ".py":
            compile(text, str(path), "exec")
        else:
            continue
        checked += 1
    assert checked > 20


def test_generated_python_passes_ruff(baked):
    _, project = baked
    ruff = str(Path(sys.executable).with_name("ruff"))
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *args], cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_toggles_add_or_prune_their_part_without_dangling_references(baked):
    answers, project = baked
    shared_files = {name: (project / name).read_text() for name in ("Makefile", "README.md", "pyproject.toml")}
    lock = (project / "uv.lock").read_text()
    package = project / "src" / "ecommerce_analytics"

    if answers.get("include_notebooks", True):
        # Exactly the notebooks of the parts this bake includes, in the course map's order.
        course = tomllib.loads((TEMPLATE_DIR / "notebooks" / "course.toml").read_text())["notebook"]
        expected = [f"{e['file']}.ipynb" for e in course if answers.get(f"include_{e['requires']}", True)]
        assert sorted(p.name for p in (project / "notebooks").glob("*.ipynb")) == sorted(expected)
        assert (project / "tests/test_notebooks.py").is_file()
        assert "notebooks:" in shared_files["Makefile"] and "jupyterlab" in shared_files["pyproject.toml"]
        course_map = (project / "notebooks" / "README.md").read_text()
        for entry in course:
            assert entry["title"] in course_map
        # The README's map names a course notebook beside its stage only when the bake has it.
        listed = {entry["file"] for entry in course}
        for named in set(re.findall(r"`(\d\d_[a-z_]+)`", shared_files["README.md"])) & listed:
            assert f"{named}.ipynb" in expected, named
        for name in expected:
            notebook = json.loads((project / "notebooks" / name).read_text())
            code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
            assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code), name
            assert notebook["metadata"]["kernelspec"]["name"] == "python3"  # no machine-specific kernel
            # The notebooks find the package when they run: no project name is written into them.
            assert "ecommerce_analytics" not in (project / "notebooks" / name).read_text(), name
    else:
        assert not (project / "notebooks").exists()
        assert not (project / "tests/test_notebooks.py").exists()
        for name, text in shared_files.items():
            assert not re.search(r"notebook|jupyter|nbclient|ipykernel", text, re.IGNORECASE), name
        assert '[[package]]\nname = "jupyterlab"' not in lock

    if answers.get("include_aws", True):
        assert (project / "infra/aws/stack.yaml").is_file() and (package / "ingest" / "handler.py").is_file()
        assert "deploy-aws:" in shared_files["Makefile"] and "boto3" in shared_files["pyproject.toml"]
    else:
        assert not (project / "infra" / "aws").exists()
        assert not [p.name for p in package.rglob("*.py") if p.stem in ("handler", "aws_sinks", "lambda_zip", "deploy")]
        assert not [p.name for p in (project / "tests").glob("*.py") if re.search(r"handler|aws|infra|lambda", p.name)]
        for name, text in shared_files.items():
            assert not re.search(r"boto3|moto|cfn-lint|deploy-aws|destroy-aws|handler\.py|infra/aws", text), name
        for path in package.rglob("*.py"):
            imports_aws = r"^\s*from \.+(ingest\.)?(handler|aws_sinks|lambda_zip|deploy) import"
            assert not re.search(imports_aws, path.read_text(), re.MULTILINE), path
        for path in (project / "airflow").rglob("*.py"):  # the DAGs keep only their local sensor
            assert not re.search(r"S3KeySensor|amazon|aws_default|boto3", path.read_text()), path
        # boto3 itself stays: the Snowflake connector depends on it.
        assert '[[package]]\nname = "moto"' not in lock and '[[package]]\nname = "cfn-lint"' not in lock

    _check_optional_part(answers, project, "airflow", "airflow/dags", r"airflow", "apache-airflow")
    _check_optional_part(
        answers, project, "dashboard", "dashboard", r"streamlit|dashboard/|make dashboard|DASHBOARD_", "streamlit"
    )
    _check_optional_part(
        answers,
        project,
        "quality",
        "src/ecommerce_analytics/quality/expectations",
        r"great.?expectations|\bgx\b|make quality|data.?docs|run_quality_gate|quality\.(runner|suites)|expectation",
        "great-expectations",
    )


def _check_optional_part(answers, project, part, folder, mention, locked_package):
    """An optional part brings its folder, make target, tests and dependency; switched off, it leaves no trace."""
    toggle, target = f"include_{part}", part
    shared_files = {name: (project / name).read_text() for name in ("Makefile", "README.md", "pyproject.toml")}
    lock = (project / "uv.lock").read_text()
    tests = sorted(p.name for p in (project / "tests").glob(f"test_{target}*.py"))
    if answers.get(toggle, True):
        assert any((project / folder).glob("*.py")), folder
        assert tests, f"no tests/test_{target}*.py"
        assert f"\n{target}:" in shared_files["Makefile"]
        assert f'[[package]]\nname = "{locked_package}"' in lock
    else:
        assert not (project / folder).exists() and not (project / target).exists() and tests == []
        for name, text in shared_files.items():
            assert not re.search(mention, text, re.IGNORECASE), name
        for path, text in text_files(project):
            if path.name != "uv.lock":
                assert not re.search(mention, text, re.IGNORECASE), path.relative_to(project)
        assert f'[[package]]\nname = "{locked_package}"' not in lock


def test_the_shipped_lock_matches_the_default_pyproject(tmp_path):
    """`make lock` was run after the last dependency change: uv accepts the lock as it is."""
    from conftest import run, uv_executable

    project = bake(tmp_path)
    run([uv_executable(), "lock", "--check"], cwd=project)


def _snapshot(project: Path) -> dict[str, str]:
    return {str(path.relative_to(project.parent)): text for path, text in text_files(project)}


@pytest.mark.parametrize(
    "option, value, context",
    [
        ("project_name", "Shop Insights", {}),
        ("project_slug", "shop-insights", {}),
        ("package_name", "shop_insights", {}),
        ("author_name", "Ada Lovelace", {}),
        ("description", "Another description.", {}),
        ("aws_region", "eu-west-2", {}),
        ("s3_bucket_name", "another-bucket", {}),
        ("snowflake_account", "otherorg-otheraccount", {}),
        ("snowflake_database", "OTHER_DB", {}),
        ("snowflake_warehouse", "OTHER_WH", {}),
        ("snowflake_role", "OTHER_ROLE", {}),
        ("seed", "7", {}),
        ("edition", "instructor", {"course_salt": INSTRUCTOR["course_salt"]}),  # the salt alone changes nothing
        ("student_id", "s123", {}),
        ("course_salt", "another-course-salt", INSTRUCTOR),  # only the instructor edition holds it
        *[(toggle, False, {}) for toggle in TOGGLES],
    ],
)
def test_every_option_changes_the_generated_project(option, value, context, tmp_path):
    assert option in CONTEXT
    default = _snapshot(bake(tmp_path / "default", **context))
    changed = _snapshot(bake(tmp_path / "changed", **{**context, option: value}))
    assert changed != default


def test_every_option_is_covered_by_the_test_above():
    options = {name for name in CONTEXT if not name.startswith("_")}
    source = Path(__file__).read_text()
    assert all(f'("{name}",' in source or name in TOGGLES for name in options)


def test_the_readme_options_table_lists_every_option():
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", readme, re.MULTILINE))
    assert documented == {name for name in CONTEXT if not name.startswith("_")}
    assert set(CONTEXT["__prompts__"]) == documented  # and every option has its help text
