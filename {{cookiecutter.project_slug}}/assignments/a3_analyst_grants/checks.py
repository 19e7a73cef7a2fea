"""A3 public checks: the script is Snowflake SQL, creates the role and lets it reach the analytics schema.

Checked by parsing, not by running: Snowflake's role and grant statements do not
run on the local emulator (fakesnow rejects CREATE ROLE and GRANT), so these
checks read the statements themselves.
"""

from __future__ import annotations

import re

from assignments.grading.framework import Assignment, CheckFailed, public_check

ASSIGNMENT = Assignment(
    key="a3_analyst_grants",
    title="Least privilege for an analyst role (Snowflake)",
    after_notebook="10_cloud_path",
    files=("infra/snowflake/assignments/analyst_role.sql",),
    hidden_parts={"reads every analytics table, present and future": 2, "and nothing more": 2},
)
SCRIPT = "infra/snowflake/assignments/analyst_role.sql"
DATABASE = {{ cookiecutter.snowflake_database | lower | tojson }}
ROLE = "analyst"


def statements(workspace) -> list[str]:
    """The script's statements, parsed as Snowflake SQL, each lower-cased on one line without comments."""
    from sqlfluff.core import FluffConfig, Linter

    path = workspace.project_dir / SCRIPT
    if not path.is_file():
        raise CheckFailed(f"{SCRIPT} is missing")
    sql = path.read_text(encoding="utf-8")
    config = FluffConfig(overrides={"dialect": "snowflake", "templater": "raw"})
    parsed = Linter(config=config).parse_string(sql)
    if parsed.tree is None or "unparsable" in parsed.tree.descendant_type_set:
        raise CheckFailed(f"{SCRIPT} is not valid Snowflake SQL (try: sqlfluff parse --dialect snowflake {SCRIPT})")
    without_comments = re.sub(r"--[^\n]*", "", sql)
    found = [" ".join(s.split()).lower() for s in without_comments.split(";")]
    return [s.replace(" if not exists", "") for s in found if s]


def grants_to_role(workspace) -> list[str]:
    return [s for s in statements(workspace) if s.startswith("grant ") and s.endswith(f" to role {ROLE}")]


def require_role(workspace) -> None:
    found = statements(workspace)
    if not any(s.startswith(f"create role {ROLE}") for s in found):
        raise CheckFailed(f"{SCRIPT} does not create the role {ROLE}")
    if f"grant role {ROLE} to role sysadmin" not in found:
        raise CheckFailed(f"the role {ROLE} is not granted to sysadmin, so administrators cannot manage what it owns")


@public_check(ASSIGNMENT, "creates the role, under sysadmin, in valid Snowflake SQL", points=1)
def creates_the_role(workspace) -> None:
    require_role(workspace)


@public_check(ASSIGNMENT, "can use the reporting warehouse, the database and the analytics schema", points=2)
def can_reach_the_schema(workspace) -> None:
    require_role(workspace)
    grants = grants_to_role(workspace)
    for needed in (
        "usage on warehouse reporting_wh",
        f"usage on database {DATABASE}",
        f"usage on schema {DATABASE}.analytics",
    ):
        if not any(g.startswith("grant ") and needed in g for g in grants):
            raise CheckFailed(f"{ROLE} cannot yet use what it needs: no grant of {needed.split(' on ')[1]}")
