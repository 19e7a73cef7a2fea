# %% [markdown]
# # 3. Loading: COPY INTO, on DuckDB and on Snowflake
#
# **What you will learn**
#
# - what Snowflake's `COPY INTO` promises, and how the same promises hold on DuckDB:
#   every line lands once, with the file and line it came from;
# - why a re-run loads nothing twice (the load history);
# - where a malformed line goes (the rejects table), and what happens to a file
#   nobody can read (quarantine);
# - the Snowflake SQL that does the same job, and how much of it runs offline.
#
# **Where this sits.** *events -> lake -> **load** -> warehouse* -> dbt ->
# dashboard. The load is a dbt macro, `dbt/macros/load/copy_into_raw_events.sql`
# (a DuckDB and a Snowflake body), driven by `src/<package>/warehouse/load.py`;
# `make load` runs it. The Snowflake tables it fills are created by
# `infra/snowflake/05_raw_tables.sql`.
#
# This notebook builds its own lake and warehouse in `data/notebooks/03_loading/`.

# %% tags=["parameters"] test_parameters={"hours": 4}
seed = None  # None: your project's seed (EVENT_SEED, or the one chosen when it was generated)
day = "2025-10-04"
hours = 12  # the first load takes the first half, the second load the rest

# %%
import gzip
import json
import re
from datetime import UTC, datetime, timedelta

import lesson
import matplotlib.pyplot as plt
import pandas as pd

backfill = lesson.module("ingest.backfill")
generator = lesson.module("ingest.generator")
lake_module = lesson.module("ingest.lake")

folder = lesson.workspace("03_loading")
settings = lesson.settings(folder, **({} if seed is None else {"seed": seed}))
start = datetime.fromisoformat(day).replace(tzinfo=UTC)
middle = start + timedelta(hours=hours // 2)
end = start + timedelta(hours=hours)


def warehouse(statement, params=None):
    """A read-only query on this notebook's warehouse (closed at once, like every lesson.query)."""
    return lesson.query(statement, warehouse=settings.warehouse_path, params=params)


first = backfill.generate_to_lake(settings, start, middle)
print(f"lake: {first.events:,} events in {first.files} files, {start:%H:%M} to {middle:%H:%M}")

# %% [markdown]
# ## The first load
#
# `COPY INTO` reads every file of a stage and inserts one row per line: the event
# as JSON (Snowflake: `VARIANT`), its `source_file` and `file_row_number`, and
# when it was loaded. DuckDB has no `COPY INTO` from a stage, so the macro's
# DuckDB body does the same with `read_csv` (one line at a time, nothing parsed
# yet) and `try_cast(line as json)`.

# %%
lesson.load(settings)
warehouse("select source_file, file_row_number, event ->> 'event_type' as event_type from raw.raw_events limit 5")

# %% [markdown]
# ## A re-run loads nothing twice
#
# Snowflake keeps 64 days of *load metadata*: the files a table has loaded, which
# `COPY INTO` skips. The DuckDB body keeps the same list in `raw.load_history`.
# Load again: no new files, no new rows.

# %%
rows_before = warehouse("select count(*) as n from raw.raw_events")["n"][0]
lesson.load(settings)
rows_after = warehouse("select count(*) as n from raw.raw_events")["n"][0]
print(f"rows before the re-run {rows_before:,}, after {rows_after:,}")

# %% [markdown]
# ## New files, and a bad line that is rejected, not fatal
#
# The next hours arrive, and with them a file from a buggy producer: one line that
# is not JSON, another that is JSON but not an event object. `ON_ERROR = CONTINUE`
# in Snowflake loads every good line and reports the bad ones; the DuckDB body does
# the same, into `raw.raw_events_rejects` with the file, the line number and the
# text. The load takes only the new files.


# %%
def write_lake_file(lines, moment, name, data=None):
    """Write lines as one gzipped lake file in the hour folder of `moment` (or raw bytes `data`)."""
    path = settings.lake_dir / lake_module.partition_path(moment) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if data is not None else lake_module.gzip_bytes(("\n".join(lines) + "\n").encode()))
    return path


second = backfill.generate_to_lake(settings, middle, end)
print(f"lake: {second.events:,} more events in {second.files} more files")
next_hour = generator.generate_events(settings.seed, end, end + timedelta(hours=1))
good = [event.to_json() for event in next_hour[:6]]
bad = ['{"event_id": "broken", "event_type": "order_paid",', "[1, 2, 3]"]
write_lake_file([*good[:3], bad[0], *good[3:], bad[1]], end, "producer-bug.json.gz")
lesson.load(settings)
warehouse(lesson.sql("03_loads"))

# %%
warehouse("select source_file, file_row_number, error, rejected_record from raw.raw_events_rejects")

# %%
per_hour = warehouse(lesson.sql("03_rows_per_hour"))
per_hour["load"] = per_hour["loaded_at"].rank(method="dense").astype(int).map(lambda n: f"load {n}")
chart = per_hour.pivot_table(index="lake_hour", columns="load", values="rows_loaded", aggfunc="sum").fillna(0)
axes = chart.plot.bar(stacked=True, figsize=(9, 3.5), color=["#4c72b0", "#55a868"], title="Rows loaded per lake hour")
axes.set_xlabel("lake folder (raw-events/YYYY/MM/DD/HH)")
axes.set_ylabel("rows")
plt.show()

# %% [markdown]
# ## Break it on purpose: a file nobody can read
#
# A line can be rejected; a *file* whose gzip stream is cut off (a crashed upload)
# cannot be read at all, and DuckDB fails the whole batch of files it was reading.
# Cut one in half, then run the load macro by hand, as `dbt run-operation
# copy_into_raw_events` would. The next cell is *meant* to fail with
# `PipelineError` (dbt failed).

# %%
later = generator.generate_events(settings.seed, end + timedelta(hours=1), end + timedelta(hours=2))
whole = lake_module.gzip_bytes(("\n".join(event.to_json() for event in later) + "\n").encode())
good_file = write_lake_file(
    [event.to_json() for event in later[:10]], end + timedelta(hours=1), "good-neighbour.json.gz"
)
truncated = write_lake_file([], end + timedelta(hours=1), "crashed-upload.json.gz", data=whole[: len(whole) // 2])
files_before = warehouse("select count(*) as n from raw.load_history")["n"][0]

# %% tags=["raises-exception"] expected_exception="PipelineError"
lesson.dbt(settings, "run-operation", "copy_into_raw_events")

# %% [markdown]
# Nothing of that batch was loaded: not even its good neighbour. `make load`
# (`load_lake`) catches exactly this error: it moves the file to
# `<lake>/quarantine/` under the same path, records it in `raw.quarantined_files`
# with its count of whole readable lines, and loads the rest.

# %%
print("files loaded by the failed run:", warehouse("select count(*) as n from raw.load_history")["n"][0] - files_before)
quarantined = lesson.load(settings)
print("still in the lake:", truncated.exists(), "| in quarantine:", quarantined[0].quarantined_path.exists())
warehouse("select source_file, reason, readable_lines from raw.quarantined_files")

# %% [markdown]
# ## Checkpoint: every line is accounted for
#
# Count the lines of every file left in the lake in Python, sorting them into JSON
# objects and the rest, and compare with what the warehouse holds: the events in
# `raw.raw_events`, the bad lines in `raw.raw_events_rejects`.

# %%
events_in_files = bad_in_files = 0
for path in lake_module.list_lake_files(settings.lake_dir):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            try:
                is_event = isinstance(json.loads(line), dict)
            except json.JSONDecodeError:
                is_event = False
            events_in_files += is_event
            bad_in_files += not is_event
loaded = warehouse(
    "select (select count(*) from raw.raw_events) as events, (select count(*) from raw.raw_events_rejects) as rejects"
)
print(f"lake: {events_in_files:,} events and {bad_in_files} bad lines")
print(f"warehouse: {loaded['events'][0]:,} events and {loaded['rejects'][0]} rejects")
assert (events_in_files, bad_in_files) == (loaded["events"][0], loaded["rejects"][0])

# %% [markdown]
# ## The same load on Snowflake
#
# On Snowflake the macro's other body runs two statements: `COPY INTO` from the S3
# stage (the lake's bucket, created by `infra/snowflake/04_file_format_and_stage.sql`),
# and an insert of what `VALIDATE()` reports into the rejects table. Here they are,
# from the macro itself:

# %%
macro = (lesson.PROJECT_DIR / "dbt/macros/load/copy_into_raw_events.sql").read_text(encoding="utf-8")
# The bodies of the two macros named snowflake_..._sql: plain SQL, no Jinja inside.
bodies = re.findall(r"macro (snowflake_\w+_sql)\(\) %\}(.*?)\{%-? *endmacro", macro, flags=re.DOTALL)
snowflake_sql = ";\n\n".join(body.strip() for _, body in bodies) + ";"
print(snowflake_sql)

# %% [markdown]
# They are plain Snowflake SQL: sqlfluff's Snowflake dialect parses them (it
# raises on anything it cannot). Running them needs a stage on S3 and Snowflake's
# load metadata: **fakesnow**, the DuckDB-backed Snowflake emulator the project's
# tests use, does not emulate `COPY INTO` with a JSON file format, so only a real
# account runs these two. What fakesnow does run is the rest of the Snowflake side:
# the `VARIANT` table and the path syntax the staging model reads it with.

# %%
import fakesnow  # noqa: E402  (imported here: only this section needs it)
import snowflake.connector  # noqa: E402
import sqlfluff  # noqa: E402

parsed = sqlfluff.parse(snowflake_sql, dialect="snowflake")
print("statements parsed as Snowflake SQL:", len(bodies))

raw_table_sql = (lesson.PROJECT_DIR / "infra/snowflake/05_raw_tables.sql").read_text(encoding="utf-8")
create_raw_events = re.search(r"create table if not exists raw_events \(.*?\)", raw_table_sql, flags=re.DOTALL)[0]
sample = warehouse(
    "select event::varchar as event, source_file, file_row_number from raw.raw_events "
    "order by source_file, file_row_number limit 5"
)
with fakesnow.patch():
    connection = snowflake.connector.connect(database="course", schema="raw")
    cursor = connection.cursor()
    cursor.execute("create database if not exists course")
    cursor.execute("create schema if not exists course.raw")
    cursor.execute(create_raw_events)
    for row in sample.itertuples():
        cursor.execute(
            "insert into raw_events (event, source_file, file_row_number, loaded_at) "
            "select parse_json(%s), %s, %s, current_timestamp()",
            (row.event, row.source_file, row.file_row_number),
        )
    cursor.execute(
        "select event:event_id::varchar, event:event_type::varchar, event:customer.country::varchar from raw_events"
    )
    on_fakesnow = pd.DataFrame(cursor.fetchall(), columns=["event_id", "event_type", "country"])
    connection.close()
on_fakesnow.head()

# %% [markdown]
# ## Your turn
#
# 1. Delete one file's row from `raw.load_history` (open the notebook's warehouse
#    with `duckdb.connect`, then close it) and load again. What happens to
#    `raw.raw_events`, and what would stop the duplicates reaching the dashboard?
# 2. Add a blank line and a line of spaces to a lake file: are they rejected?
# 3. Move the quarantined file back after repairing it (`gzip` can write its
#    readable lines): does the next load take it?
# 4. Read `snowflake__copy_into_raw_events` in the macro: which Snowflake feature
#    plays the part of `raw.load_history`?
