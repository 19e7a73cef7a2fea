# %% [markdown]
# # 4. Staging: from JSON lines to a clean table of events
#
# **What you will learn**
#
# - how `stg_events` turns each raw JSON document into typed columns;
# - how it removes the duplicates that at-least-once delivery brings (the
#   first-loaded copy wins);
# - what an *incremental* model reads on each run, and why it looks back 3 days;
# - what happens to an event delivered later than that: the audit names it, and a
#   full refresh recovers it.
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
from datetime import UTC, datetime, timedelta

import lesson
import matplotlib.pyplot as plt

delivery = lesson.module("ingest.delivery")
live = lesson.module("ingest.live")

folder = lesson.workspace("04_staging")
settings = lesson.settings(folder, **({} if seed is None else {"seed": seed}))
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
# `dbt build --select` builds the named models and runs their tests. Two models
# here: `stg_events` and the audit view that compares it with raw. (The
# `cautious` option runs only the tests whose every input is selected.)

# %%
STAGING = ["--select", "stg_events", "audit_events_missing_from_staging", "--indirect-selection", "cautious"]
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
# An incremental run reads only the raw rows loaded since its previous run, and of
# those only events at most `stg_events_lookback_days` (3, in `dbt_project.yml`)
# before the latest event already staged. That keeps an hourly run cheap, and
# still picks up events that are a little late. The held-back order is four days
# older than the latest staged event: outside the lookback.

# %%
late_file = live.deliver_to_lake(
    [delivery.Delivery(windows[1][1], held_back, late=True, duplicate=False)],
    settings.lake_dir,
    settings.lake_buffer_seconds,
)
lesson.load(settings)
latest = warehouse("select max(event_timestamp) as t from staging.stg_events")["t"][0]
print(f"latest staged event {latest:%Y-%m-%d %H:%M}; lookback starts {latest - timedelta(days=3):%Y-%m-%d %H:%M}")
print(f"the late order happened {held_back.timestamp:%Y-%m-%d %H:%M}")

# %% [markdown]
# ## Break it on purpose: the audit catches the skipped event
#
# Run the incremental build. `stg_events` skips the late order, and the audit view
# `audit_events_missing_from_staging` lists it; its test
# `assert_no_raw_event_missing_from_staging` has severity *warn*, so `make
# transform` prints a warning and goes on. A CI job that must not let anything
# slip runs dbt with `--warn-error`, which turns the warning into a failure. The
# next cell is *meant* to fail with `PipelineError`.

# %% tags=["raises-exception"] expected_exception="PipelineError"
lesson.dbt(settings, "--warn-error", "build", *STAGING)

# %%
missing = warehouse(
    "select event_id, event_type, event_timestamp, source_file from audit.audit_events_missing_from_staging"
)
missing.head()

# %%
per_hour = warehouse(lesson.sql("04_staged_per_hour"))
figure, axes = plt.subplots(figsize=(10, 3.5))
axes.bar(per_hour["event_hour"], per_hour["events"], width=1 / 24, color="#4c72b0", label="staged events per hour")
axes.axvspan(latest - timedelta(days=3), latest, color="#55a868", alpha=0.15, label="the incremental lookback (3 days)")
for row in missing.itertuples():
    axes.axvline(row.event_timestamp, color="#c44e52", linewidth=2, label=f"{row.event_type}, delivered 4 days late")
axes.set_title("What an incremental run of stg_events re-reads, and the late event it misses")
axes.set_ylabel("events")
axes.legend(loc="upper left")
figure.autofmt_xdate()
plt.show()

# %% [markdown]
# ## A full refresh recovers it
#
# `--full-refresh` rebuilds `stg_events` from the whole raw table: the late order
# is staged, the audit view is empty, and the warning is gone. (Widening the
# lookback would have caught it too, at the price of re-reading more on every run.)

# %%
lesson.dbt(settings, "build", *STAGING, "--full-refresh")
warehouse("select count(*) as missing from audit.audit_events_missing_from_staging")

# %% [markdown]
# ## Checkpoint: one row per event that happened
#
# Count the distinct events delivered, in Python, from the arrivals (the held-back
# order included), and the rows of `stg_events`, in SQL.

# %%
delivered_ids = {a.event.event_id for a in on_time} | {held_back.event_id}
staged_rows = warehouse("select count(*) as n from staging.stg_events")["n"][0]
print(f"distinct events delivered {len(delivered_ids):,}, rows in stg_events {staged_rows:,}")
assert staged_rows == len(delivered_ids)

# %% [markdown]
# ## Your turn
#
# 1. Which copy of a duplicated event did staging keep? Find a duplicated
#    `event_id` in raw and compare the `loaded_at` and `source_file` of its copies
#    with the staged row.
# 2. Re-run the incremental build with `--vars '{stg_events_lookback_days: 5}'`
#    before the full refresh: is the late order picked up? What does a wider
#    lookback cost each hourly run?
# 3. Add a lake file with a malformed line (see notebook 3) and build again: where
#    does the line show up in staging (`stg_rejected_lines`)?
# 4. Read `stg_events.sql`: why does an incremental run compare `loaded_at`, not
#    `event_timestamp`, to decide what is new?
