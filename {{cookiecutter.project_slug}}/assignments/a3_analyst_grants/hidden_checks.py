"""A3 hidden checks (instructor edition only): every analytics table, present and future, and nothing more."""

from __future__ import annotations

from assignments.grading.framework import CheckFailed, hidden_check

from .checks import ASSIGNMENT, DATABASE, ROLE, grants_to_role, require_role

ALLOWED = {
    f"grant usage on warehouse reporting_wh to role {ROLE}",
    f"grant usage on database {DATABASE} to role {ROLE}",
    f"grant usage on schema {DATABASE}.analytics to role {ROLE}",
    f"grant select on all tables in schema {DATABASE}.analytics to role {ROLE}",
    f"grant select on future tables in schema {DATABASE}.analytics to role {ROLE}",
    f"grant select on all views in schema {DATABASE}.analytics to role {ROLE}",
    f"grant select on future views in schema {DATABASE}.analytics to role {ROLE}",
}


@hidden_check(ASSIGNMENT, "reads every analytics table, present and future")
def reads_present_and_future_tables(workspace) -> None:
    require_role(workspace)
    grants = set(grants_to_role(workspace))
    for scope in ("all", "future"):
        if f"grant select on {scope} tables in schema {DATABASE}.analytics to role {ROLE}" not in grants:
            raise CheckFailed(f"{ROLE} cannot read {scope} tables of the analytics schema")


@hidden_check(ASSIGNMENT, "and nothing more")
def nothing_more(workspace) -> None:
    require_role(workspace)
    extra = sorted(set(grants_to_role(workspace)) - ALLOWED)
    if extra:
        raise CheckFailed(f"{len(extra)} grant(s) give {ROLE} more than reading the analytics schema needs")
