# %% [markdown]
# # 12. Performance: why incremental models pay
#
# **What you will learn**
#
# - how to measure a step honestly: wall time, CPU time, the best of a few runs;
# - what a full rebuild of `stg_events` costs as the raw table grows, and what an
#   hourly incremental run costs (spoiler: the first grows with the data, the second
#   with the hour);
# - what dbt itself adds to every run, and what the project's benchmark
#   (`make bench`) measures at millions of events.
#
# **Where this sits.** Across the warehouse and dbt boxes: lake -> *load ->
# staging* -> ... The benchmark code is in `src/<package>/bench/` (`measure.py`
# times steps, `warehouse.py` runs the warehouse at scale); the incremental models
# are those with `materialized='incremental'` in `dbt/models/`, `stg_events` first
# of all; `make bench EVENTS=1M` writes its figures to `data/bench/`.
#
# This notebook only reads your project's warehouse (read-only, run `make demo`
# first) and times queries on it.

# %% tags=["parameters"] test_parameters={"sizes_days": [1, 3], "repeats": 1}
sizes_days = [7, 15, 31, 61, 92]  # how many days of raw events a full rebuild reads, for each measure
repeats = 2  # each query runs this many times; the fastest run counts (less noise from other work)

# %%
import json
from datetime import datetime, timedelta

import lesson
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

measure = lesson.module("bench.measure")
bench = lesson.module("bench.warehouse")
staging_work = lesson.sql("12_staging_work")
span = lesson.query("select min(source_file) as first_file, max(source_file) as last_file from raw.raw_events")
first_hour = datetime.strptime(span.loc[0, "first_file"][: len("raw-events/YYYY/MM/DD/HH")], "raw-events/%Y/%m/%d/%H")
last_hour = datetime.strptime(span.loc[0, "last_file"][: len("raw-events/YYYY/MM/DD/HH")], "raw-events/%Y/%m/%d/%H")
print(f"the warehouse holds lake files from {first_hour:%Y-%m-%d %H}:00 to {last_hour:%Y-%m-%d %H}:00")


def folder(moment: datetime) -> str:
    """The lake folder of an hour, as it starts the source_file of its rows."""
    return f"raw-events/{moment:%Y/%m/%d/%H}/"


# %% [markdown]
# ## The work a staging build does
#
# `stg_events` turns each raw JSON line into typed columns and keeps one copy of
# each event. `notebooks/sql/12_staging_work.sql` does the same work on the raw
# rows of a range of lake folders. A **full** build reads every folder so far; an
# **incremental** run reads only what was loaded since the last run: here, the next
# hour. Time both, for growing amounts of history, with the benchmark's own timer
# (`measure.best_of`: wall time and CPU time of the fastest of `repeats` runs).

# %%
rows = []
for days in sizes_days:
    end = min(first_hour + timedelta(days=days), last_hour)
    full_range, new_hour = [folder(first_hour), folder(end)], [folder(end), folder(end + timedelta(hours=1))]
    full = measure.best_of(lambda _, bounds=full_range: lesson.query(staging_work, params=bounds), repeats)
    incremental = measure.best_of(lambda _, bounds=new_hour: lesson.query(staging_work, params=bounds), repeats)
    rows.append(
        {
            "history until": end,
            "events (full build)": int(full.result.loc[0, "events"]),
            "full: seconds": full.seconds,
            "full: CPU seconds": full.cpu_seconds,
            "events (one new hour)": int(incremental.result.loc[0, "events"]),
            "incremental: seconds": incremental.seconds,
            "incremental: CPU seconds": incremental.cpu_seconds,
        }
    )
costs = pd.DataFrame(rows)
costs.round(3)

# %% [markdown]
# ## Cost against data size
#
# Plot the time of each run against the events in the table. The full build's line
# climbs with the history; the incremental run's stays on the floor, because an hour
# holds about as many events in month three as in week one. Wall time is what you
# wait; CPU time is the work done, and moves less when the machine is busy.

# %%
figure, (wall, cpu) = plt.subplots(1, 2, figsize=(12, 4), sharex=True)
for axes, measured in ((wall, "seconds"), (cpu, "CPU seconds")):
    axes.plot(costs["events (full build)"], costs[f"full: {measured}"], marker="o", label="full rebuild (every file)")
    axes.plot(
        costs["events (full build)"], costs[f"incremental: {measured}"], marker="o", label="incremental (one new hour)"
    )
    axes.set_xlabel("raw events in the warehouse")
    axes.set_ylabel(measured)
    axes.grid(alpha=0.3)
wall.set_title("stg_events' work: wall time (best of runs)")
cpu.set_title("the same runs: CPU time (other work adds little)")
wall.legend()
figure.tight_layout()
plt.show()

# %% [markdown]
# A straight line through the full builds gives their cost per million events:
# extrapolate it to the scale `make bench` runs at, and compare with the hour.

# %%
if len(costs) > 1:
    slope, intercept = np.polyfit(costs["events (full build)"] / 1e6, costs["full: seconds"], 1)
    print(f"full rebuild: about {slope:.1f} s per million raw events (+ {intercept:.2f} s)")
    print(f"at 10 million events, a rebuild of this step alone: about {slope * 10 + intercept:.0f} s")
print(f"one new hour, whatever the history: about {costs['incremental: seconds'].median():.3f} s")

# %% [markdown]
# ## What dbt adds, and the benchmark's figures
#
# A real run also pays dbt's own start (loading the parsed project, connecting) and
# every test after every model: seconds that do not depend on the data. So an
# incremental `dbt build` is never free, and at a small scale it is no faster than
# a full one; the larger the history, the more it saves. `make bench` measures both
# on millions of events against the project's targets:

# %%
print(f"target: an hourly run takes at most {bench.TARGET_HOUR_OVER_FLOOR:g}x one dbt command with nothing to do")
print(f"target: and at most {bench.TARGET_HOUR_GROWTH:g}x the hourly run of a lake 5 times smaller (it barely grows)")
kept = sorted((lesson.PROJECT_DIR / measure.BENCH_DIR).glob("*-warehouse-*.json"))
if kept:
    figures = [json.loads(path.read_text()) for path in kept]
    pd.DataFrame(
        [
            {
                "created": f["created_at"],
                "events": f["lake_events"],
                "full dbt build s": round(f["dbt_build_seconds"], 1),
                "incremental dbt build s": round(f["dbt_incremental_seconds"], 1),
                "dbt with nothing to do s": round(f["dbt_nothing_to_do_seconds"], 1),
                "hour / nothing to do": f.get("hour_over_nothing_to_do"),
                "hour / smaller lake's hour": f.get("hour_over_smaller_run_hour"),
            }
            for f in figures
        ]
    )
else:
    print(f"no benchmark figures in {measure.BENCH_DIR}/ yet: run `make bench EVENTS=1M` to see them")

# %% [markdown]
# ## Checkpoint: the measured query did the same work as dbt
#
# One figure, two ways: the events the timed query kept for the largest window,
# and the rows dbt's `stg_events` holds for the same lake files.

# %%
largest = costs.iloc[-1]
in_dbt = lesson.query(
    "select count(*) as n from staging.stg_events where source_file >= $1 and source_file < $2",
    params=[folder(first_hour), folder(largest["history until"])],
)["n"][0]
print(f"timed query: {int(largest['events (full build)']):,} events; dbt's stg_events: {in_dbt:,}")
assert largest["events (full build)"] == in_dbt

# %% [markdown]
# ## Break it on purpose: a size the benchmark cannot read
#
# `make bench EVENTS=...` takes a count such as `500k` or `10M`. Anything else is
# refused in one line, before minutes of generating are spent. The next cell is
# *meant* to fail with `PipelineError`.

# %%
print([measure.parse_count(text) for text in ("20000", "500k", "10M")])

# %% tags=["raises-exception"] expected_exception="PipelineError"
measure.parse_count("ten million")

# %% [markdown]
# ## Your turn
#
# 1. Set `repeats = 1` and re-run: how much noisier are the figures? Compare the
#    wall and CPU seconds of the full builds: which one would you trust on a busy
#    laptop, and why?
# 2. Remove the `qualify` clause from `notebooks/sql/12_staging_work.sql` (no
#    deduplication): how much of the full build's time was it?
# 3. Run `make bench EVENTS=1M`, then `make bench EVENTS=10M` (several minutes),
#    and re-run the benchmark cell. Are the hourly run's targets met on your machine? What takes the
#    time of the incremental build?
# 4. An incremental run of `stg_events` also reads the last
#    `stg_events_lookback_days` (3) of the staged events, to drop copies of events
#    already there. Time the query on three days of folders: what does that add to
#    the hour?
