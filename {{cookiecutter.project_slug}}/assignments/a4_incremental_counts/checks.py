"""A4 public checks: the model is incremental, and a run after a second delivery with late events equals a full refresh.

The second delivery is made in a copy of the warehouse: stg_events first holds
the events up to 3 October 00:00 minus a late seventh of the last three hours
before it; the model is built from scratch on that; then the rest arrives, loaded
an hour later, and the model runs incrementally. Its counts must equal the full
refresh that `make check` built on all the events at once.
"""

from __future__ import annotations

import duckdb

from assignments.grading.framework import Assignment, CheckFailed, public_check
from assignments.grading.tables import require_built
from assignments.grading.workspace import last_error

ASSIGNMENT = Assignment(
    key="a4_incremental_counts",
    title="Incremental hourly event counts",
    after_notebook="12_performance",
    files=("dbt/models/assignments/asg_hourly_event_counts.sql",),
    hidden_parts={"matches the reference solution on your data": 2},
)
MODEL = "asg_hourly_event_counts"
SECOND_DELIVERY = """
create schema second_delivery;
create table second_delivery.events as
select * from staging.stg_events
where event_timestamp >= timestamp '2025-10-03 00:00:00'
    or (event_timestamp >= timestamp '2025-10-02 21:00:00' and hash(event_id) % 7 = 0);
delete from staging.stg_events where event_id in (select event_id from second_delivery.events);
"""
DELIVER_IT = """
insert into staging.stg_events
select * replace (loaded_at + interval 1 hour as loaded_at) from second_delivery.events;
drop schema second_delivery cascade;
"""
COUNTS = f"select event_type, event_hour, events from assignments.{MODEL}"


def require_incremental(workspace) -> None:
    require_built(workspace, MODEL)
    (node,) = [n for n in workspace.manifest_nodes() if n["resource_type"] == "model" and n["name"] == MODEL]
    config = node["config"]
    if config["materialized"] != "incremental":
        raise CheckFailed(f"{MODEL} is materialized as {config['materialized']}, not incremental")
    if not config.get("unique_key"):
        raise CheckFailed(f"{MODEL} has no unique_key: an incremental run could count an hour twice")


@public_check(ASSIGNMENT, "is incremental, with a unique key", points=1)
def is_incremental(workspace) -> None:
    require_incremental(workspace)


@public_check(ASSIGNMENT, "after a second delivery with late events, equals a full refresh", points=3)
def incremental_equals_full_refresh(workspace) -> None:
    require_incremental(workspace)
    with workspace.scratch_copy() as warehouse:
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute(SECOND_DELIVERY)
        for args, step in ((("--full-refresh",), "the first build"), ((), "the incremental run")):
            returncode, output = workspace.dbt_on(warehouse, "run", "--select", MODEL, *args)
            if returncode != 0:
                raise CheckFailed(f"{step} of {MODEL} failed: {last_error(output)}")
            if not args:
                break
            with duckdb.connect(str(warehouse)) as connection:
                connection.execute(DELIVER_IT)
        with workspace.connect() as connection:
            connection.execute(f"attach '{warehouse}' as delivered (read_only)")
            incremental = COUNTS.replace("from assignments", "from delivered.assignments")
            differ = connection.execute(
                f"select count(*) from (({COUNTS} except all {incremental}) "
                f"union all ({incremental} except all {COUNTS}))"
            ).fetchone()[0]
            connection.execute("detach delivered")
    if differ:
        raise CheckFailed(
            f"after the late events arrived, {differ} (event_type, event_hour) row(s) differ from a full refresh"
        )
