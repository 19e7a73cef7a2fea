# %% [markdown]
# # 1. Events and the lake
#
# **What you will learn**
#
# - what an *event* is, and the funnel a shop's events trace;
# - why the generator is a pure function of (seed, time window), and what that buys;
# - how Kinesis Firehose lays events out in S3, and how the local lake copies it;
# - how a contract (a JSON Schema) stops a malformed event.
#
# **Where this sits.** The first box of the pipeline: *events -> lake* -> warehouse
# -> dbt -> dashboard. The code is in `src/<package>/ingest/` (`generator.py`,
# `lake.py`), the contract in `src/<package>/contracts/event.schema.json`, and
# `make generate` runs it for a whole window.
#
# This notebook writes only into `data/notebooks/01_events_and_lake/`: your
# project's own lake and warehouse stay untouched. Run the cells from top to
# bottom (Shift+Enter).

# %% tags=["parameters"] test_parameters={"hours": 2}
seed = 42  # the shop's random seed: the same seed gives the same events
day = "2025-10-04"  # a Saturday: busy
hours = 24  # how much of that day to generate

# %%
import gzip
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources

import jsonschema
import lesson
import matplotlib.pyplot as plt
import pandas as pd

generator = lesson.module("ingest.generator")
lake_module = lesson.module("ingest.lake")

start = datetime.fromisoformat(day).replace(tzinfo=UTC)
end = start + timedelta(hours=hours)
events = generator.generate_events(seed, start, end)
print(f"{len(events):,} events from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC")

# %% [markdown]
# ## What happens in a shop
#
# Visitors view products, add them to carts, start checkouts; some order, pay,
# and get their parcel; others abandon the cart or cancel. Each step is one event
# type. Count them: the funnel narrows at every step.

# %%
counts = Counter(event.body["event_type"] for event in events)
pd.DataFrame(counts.most_common(), columns=["event_type", "events"])

# %% [markdown]
# ## One event, up close
#
# Every event has the same keys. The `product`, `cart` or `order` object that
# applies is filled in, *as it was at that moment*; the others are `null`. The
# original pipeline this course improves on mutated one order object, so early
# events carried the final status: here each event is a snapshot.

# %%
order_event = next(event for event in events if event.body["order"] is not None)
print(json.dumps(order_event.body, indent=2)[:1500])

# %% [markdown]
# ## Traffic follows the clock
#
# People shop in the evening more than at 4 a.m. Plot the events of each hour.

# %%
per_hour = Counter(event.body["event_timestamp"][11:13] for event in events)
hourly = pd.Series(per_hour).sort_index()
axes = hourly.plot.bar(figsize=(9, 3), color="#4c72b0", title=f"Events per hour (UTC), {day}")
axes.set_xlabel("hour of day")
axes.set_ylabel("events")
plt.show()

# %% [markdown]
# ## Same seed, same window, same bytes
#
# The generator draws every random number from the seed and the hour. Run it
# again and every byte is the same; change the seed and you get another shop.
# Tests, course answer keys and retried Lambda invocations all rely on this.

# %%
again = generator.generate_events(seed, start, end)
other_shop = generator.generate_events(seed + 1, start, end)
print("identical on a re-run:", [e.to_json() for e in again] == [e.to_json() for e in events])
print("another seed shares event ids:", bool({e.event_id for e in other_shop} & {e.event_id for e in events}))

# %% [markdown]
# ## Into the lake
#
# Firehose buffers records and writes one gzipped file of newline-delimited JSON
# when the buffer is full or old enough, under `raw-events/YYYY/MM/DD/HH/`. The
# local sink does the same. Fewer, larger files are cheaper to load; a shorter
# buffer means fresher data. Here the buffer is 5 minutes.

# %%
folder = lesson.workspace("01_events_and_lake")
with lake_module.LocalLakeSink(folder / "lake", buffer_seconds=300) as sink:
    for event in events:
        sink.put(event)
files = lake_module.list_lake_files(folder / "lake")
lines_per_file = {}
for path in files:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines_per_file[path.relative_to(folder / "lake").as_posix()] = sum(1 for _ in handle)
print(f"{len(files)} files; the first three:")
pd.Series(lines_per_file, name="events").head(3)

# %% [markdown]
# ## Checkpoint: every event reached the lake, once
#
# One figure, two independent ways: the events the generator made, and the lines
# the lake files hold, counted by reading the gzip files back.

# %%
in_lake = sum(lines_per_file.values())
print(f"generated {len(events):,}, in the lake {in_lake:,}")
assert in_lake == len(events)

# %% [markdown]
# ## Break it on purpose
#
# The event contract is a JSON Schema. Give an `order_paid` event the status of
# a later step (the original pipeline's bug) and the contract rejects it. The
# next cell is *meant* to fail with `ValidationError`.

# %%
schema_text = resources.files(lesson.PACKAGE).joinpath("contracts/event.schema.json").read_text()
validator = jsonschema.Draft202012Validator(json.loads(schema_text))
paid = next(json.loads(e.to_json()) for e in events if e.body["event_type"] == "order_paid")
print("valid as generated:", validator.is_valid(paid))
paid["order"]["status"] = "fulfilled"
print("valid after the change:", validator.is_valid(paid))

# %% tags=["raises-exception"] expected_exception="ValidationError"
validator.validate(paid)

# %% [markdown]
# ## Your turn
#
# 1. Set `hours = 168` in the parameters cell (a week) and re-run: which day of
#    the week is busiest?
# 2. Re-run the lake cells with `buffer_seconds=60`, then `900`. How does the
#    file count change, and what does that cost the warehouse load later?
# 3. Find the `cart_abandoned` events: how long after the last
#    `cart_item_added` of the same cart do they come?
# 4. Break the contract another way (a negative product `price`?) and read the
#    validator's message.
