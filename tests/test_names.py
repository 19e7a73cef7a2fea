"""User answers with quotes, apostrophes, backslashes and non-ASCII letters give valid files."""

from __future__ import annotations

import tomllib

import yaml

from conftest import bake

AWKWARD_NAME = 'Zoë\'s "Ünïcode" Café'
AWKWARD_DESCRIPTION = 'Sales of "the shop", it\'s back\\slashed: {x} & <y> — ok'
AWKWARD_AUTHOR = "Seán O'Brien-Łukasz"


def test_awkward_answers_give_valid_toml_yaml_and_python(tmp_path):
    project = bake(tmp_path, project_name=AWKWARD_NAME, description=AWKWARD_DESCRIPTION, author_name=AWKWARD_AUTHOR)

    assert project.name == "zoe-s-unicode-cafe"  # slugified: ASCII, hyphens
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == "zoe-s-unicode-cafe"
    assert pyproject["project"]["description"] == AWKWARD_DESCRIPTION
    assert pyproject["project"]["authors"] == [{"name": AWKWARD_AUTHOR}]
    assert pyproject["project"]["scripts"] == {"zoe-s-unicode-cafe": "zoe_s_unicode_cafe.cli:run"}

    dbt_project = yaml.safe_load((project / "dbt/dbt_project.yml").read_text(encoding="utf-8"))
    assert dbt_project["name"] == "zoe_s_unicode_cafe"
    profiles = yaml.safe_load((project / "dbt/profiles.yml").read_text(encoding="utf-8"))
    assert set(profiles["zoe_s_unicode_cafe"]["outputs"]) == {"local", "lint", "snowflake"}

    package = project / "src" / "zoe_s_unicode_cafe"
    for path in package.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")

    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {AWKWARD_NAME}\n\n{AWKWARD_DESCRIPTION}\n")
