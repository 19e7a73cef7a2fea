# %% [markdown]
# # 4. Staging: from JSON lines to a clean table of events
#
# **What you will learn**
#
# - how `stg_events` turns each raw JSON document into typed columns;
# - how it removes the duplicates that at-least-once delivery brings (the
#   first-loaded copy wins);
# - what an *incremental* model reads on each run: what was *loaded* since the
#   last run, so an event delivered days late is staged like any other;
# - why a wrong device clock cannot move that window: the event is set aside with
#   its reason, and the audit fails when a loaded event is missing from staging;
# - how a full refresh rebuilds staging from scratch.
#
# **Where this sits.** *events -> lake -> warehouse (raw) -> dbt: **staging** ->
# intermediate -> marts -> analytics* -> dashboard. The models are in
# `dbt/models/staging/raw/` (`stg_events.sql`, `stg_rejected_lines.sql`, their
# YAML), the audit in `dbt/models/audit/`; `make transform` builds them (and
# `make transform FULL_REFRESH=1` rebuilds them from scratch).
#
# This notebook builds its own lake and warehouse in `data/notebooks/04_staging/`.

# %% tags=["parameters"] test_parameters={"hours": 3}
seed = None  # None: your project's seed (EVENT_SEED, or the one chosen when it was generated)
day = "2025-10-04"
hours = 12  # of two windows four days apart: the first of each day
late_share = 0.05
duplicate_share = 0.05

# %%
import json
from datetime import UTC, datetime, timedelta

import duckdb
import lesson
import matplotlib.pyplot as plt

delivery = lesson.module("ingest.delivery")
live = lesson.module("ingest.live")

folder = lesson.workspace("04_staging")
settings = lesson.settings(folder, **({} if seed is None else {"seed": seed}))
lesson.one_dbt_process(settings)  # the loads and builds below share one dbt start-up
policy = delivery.DeliveryPolicy(late_share=late_share, duplicate_share=duplicate_share)
first_day = datetime.fromisoformat(day).replace(tzinfo=UTC)
windows = [(first_day, first_day + timedelta(hours=hours))]
windows.append((windows[0][0] + timedelta(days=4), windows[0][1] + timedelta(days=4)))
arrivals = [a for start, end in windows for a in delivery.deliveries_in_window(settings.seed, start, end, policy)]

# One order is lost on its way (a phone that stays offline): it arrives four days late, below.
held_back = next(a.event for a in arrivals if a.event.body["event_type"] == "order_created")
on_time = [a for a in arrivals if a.event.event_id != held_back.event_id]
live.deliver_to_lake(on_time, settings.lake_dir, settings.lake_buffer_seconds)
print(f"{len(on_time):,} arrivals delivered, {sum(a.duplicate for a in on_time)} of them second copies")
print(f"held back: {held_back.body['event_type']} {held_back.event_id} of {held_back.timestamp:%Y-%m-%d %H:%M}")


def warehouse(statement, params=None):
    return lesson.query(statement, warehouse=settings.warehouse_path, params=params)


# %% [markdown]
# ## Load, then build staging
#
# `dbt build --select` builds the named models and runs their tests. Three models
# here: `stg_events`, `stg_quarantined_events` (the events set aside, with their
# reason) and the audit model that compares both with raw. (The `cautious` option
# runs only the tests whose every input is selected.)

# %%
STAGING = ["--select", "stg_events", "stg_quarantined_events", "audit_events_missing_from_staging"]
STAGING += ["--indirect-selection", "cautious"]
lesson.load(settings)
lesson.dbt(settings, "build", *STAGING)

# %% [markdown]
# ## JSON in, columns out
#
# Raw keeps each event exactly as delivered: one JSON document. Staging parses it
# once into typed columns (timestamps, decimals, the nested `customer`, `order`
# objects flattened), with the macro `json_fields`, which has a DuckDB and a
# Snowflake body. Here is one order event, raw and staged.

# %%
raw_event = warehouse(
    "select event::varchar as event from raw.raw_events where event ->> 'event_type' = 'order_paid' limit 1"
)["event"][0]
print(raw_event[:600], "...")
staged = warehouse(
    "select * exclude (order_items) from staging.stg_events where event_id = ?",
    params=[raw_event.split('"event_id":"')[1].split('"')[0]],
)
staged.T.rename(columns={0: "stg_events"}).head(30)

# %% [markdown]
# ## Duplicates removed
#
# Delivery was at-least-once: some events are in raw twice, from two files.
# Staging keeps one row per `event_id`, the copy loaded first (then by file and
# line: a rule that gives the same answer on every run).

# %%
warehouse(lesson.sql("04_dedup"))

# %% [markdown]
# ## The late order arrives, four days late
#
# An incremental run reads the raw rows *loaded* since its previous run, whatever
# time the events say they happened. So the order that arrives four days late is
# staged by the next run, like any other event: lateness costs nothing.

# %%
live.deliver_to_lake(
    [delivery.Delivery(windows[1][1], held_back, late=True, duplicate=False)],
    settings.lake_dir,
    settings.lake_buffer_seconds,
)
lesson.load(settings)
lesson.dbt(settings, "build", *STAGING)
warehouse(
    "select event_type, event_timestamp, loaded_at from staging.stg_events where event_id = ?",
    params=[held_back.event_id],
)

# %% [markdown]
# ## A wrong clock is set aside, not trusted
#
# Why go by load time? Event time comes from the visitor's device. A phone whose
# clock is half a year ahead sends an event "from the future"; had the window
# followed event time, every normal event after it would have looked old and been
# skipped. Staging compares each event's time with its load time instead: more
# than `event_time_max_ahead_hours` (24, in `dbt_project.yml`) ahead, and the event
# goes to `stg_quarantined_events` with its reason.

# %%
hostile = lesson.module("quality.hostile")
now = datetime.now(UTC)
wrong_clock = json.loads(on_time[0].event.to_json())
wrong_clock["event_id"] = "00000000-0000-4000-8000-00000000c10c"  # a new event, not a copy
skewed_line = hostile.clock_ahead([json.dumps(wrong_clock)], delivered_at=now)[0]
hostile.write_lake_file(settings.lake_dir, now, hostile.ndjson_gzip([skewed_line.encode()]))
lesson.load(settings)
lesson.dbt(settings, "build", *STAGING)
set_aside = warehouse("select event_id, event_type, reason, raw_event from staging.stg_quarantined_events")
set_aside

# %% [markdown]
# ## Break it on purpose: the audit catches an event that vanished
#
# Every loaded event must end in `stg_events` or in `stg_quarantined_events`. To
# see the audit work, play a bug that loses a row: delete one staged event by hand,
# then build again. The test `assert_no_raw_event_missing_from_staging` is an
# error, not a warning, so the build fails and `make transform` would publish
# nothing. The second cell below is *meant* to fail with `PipelineError`.

# %%
first_staged = warehouse("select event_id from staging.stg_events order by loaded_at, event_id limit 1")["event_id"][0]
with duckdb.connect(str(settings.warehouse_path)) as con:  # the notebook's own warehouse, never the pipeline's
    con.execute("delete from staging.stg_events where event_id = ?", [first_staged])
print(f"deleted {first_staged} from staging.stg_events")

# %% tags=["raises-exception"] expected_exception="PipelineError"
lesson.dbt(settings, "build", *STAGING)

# %%
warehouse("select event_id, event_type, event_timestamp, source_file from audit.audit_events_missing_from_staging")

# %% [markdown]
# ## A full refresh rebuilds staging
#
# `--full-refresh` rebuilds `stg_events` from the whole raw table: the lost row is
# back and the audit table, built again after it, is empty.

# %%
lesson.dbt(settings, "build", *STAGING, "--full-refresh")
warehouse("select count(*) as missing from audit.audit_events_missing_from_staging")

# %%
per_hour = warehouse(lesson.sql("04_staged_per_hour"))
figure, axes = plt.subplots(figsize=(10, 3.5))
axes.bar(per_hour["event_hour"], per_hour["events"], width=1 / 24, color="#4c72b0", label="staged events per hour")
axes.axvline(held_back.timestamp, color="#c44e52", linewidth=2, label="the order delivered 4 days late, staged")
axes.set_title("Staged events per hour: two windows four days apart, and the late order")
axes.set_ylabel("events")
axes.legend(loc="upper left")
figure.autofmt_xdate()
plt.show()

# %% [markdown]
# ## Checkpoint: one row per event that happened
#
# Count the distinct events delivered, in Python, from the arrivals (the late
# order included), and the rows of `stg_events`, in SQL; the wrong-clock event is
# the one set aside.

# %%
delivered_ids = {a.event.event_id for a in on_time} | {held_back.event_id}
staged_rows = warehouse("select count(*) as n from staging.stg_events")["n"][0]
print(f"distinct events delivered {len(delivered_ids):,}, rows in stg_events {staged_rows:,}")
print(f"set aside: {len(set_aside)}")
assert staged_rows == len(delivered_ids)
assert list(set_aside["event_id"]) == [wrong_clock["event_id"]]

# %% [markdown]
# ## Your turn
#
# 1. Which copy of a duplicated event did staging keep? Find a duplicated
#    `event_id` in raw and compare the `loaded_at` and `source_file` of its copies
#    with the staged row.
# 2. Move the wrong clock only 12 hours ahead (change `delivered_at` in its cell
#    to `now - timedelta(hours=12)`): is the event staged or set aside? Where
#    would you change the limit?
# 3. Add a lake file with a malformed line (see notebook 3) and build again: where
#    does the line show up in staging (`stg_rejected_lines`)?
# 4. Read `stg_events.sql`: why does an incremental run compare `loaded_at`, not
#    `event_timestamp`, to decide what is new?
