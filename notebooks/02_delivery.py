# %% [markdown]
# # 2. Delivery: at-least-once, Firehose buffers and the Lambda
#
# **What you will learn**
#
# - why real delivery is *at-least-once*: some events arrive late, some twice;
# - how a stateless producer decides every arrival from (seed, event), so any
#   schedule of windows delivers the same events;
# - what Firehose's buffer interval trades: fewer files against fresher data;
# - how the Lambda handler runs on your laptop, and how it survives Kinesis
#   rejecting part of a batch (with moto standing in for AWS).
#
# **Where this sits.** Between the generator (notebook 1) and the lake:
# *events -> **delivery -> lake*** -> warehouse -> dbt -> dashboard. The code is in
# `src/<package>/ingest/`: `delivery.py` (late and duplicate arrivals), `lake.py`
# (the Firehose twin), `handler.py` (the Lambda), `aws_sinks.py` (Kinesis,
# Firehose, S3). `make live` runs it on the clock; `make deploy-aws` puts the
# handler in AWS.
#
# This notebook writes only into `data/notebooks/02_delivery/`, and its AWS is
# moto, an emulator in this process: nothing leaves your machine.

# %% tags=["parameters"] test_parameters={"hours": 2}
seed = None  # None: your project's seed (EVENT_SEED, or the one chosen when it was generated)
day = "2025-10-04"  # a Saturday
hours = 24  # the span of arrivals to look at
late_share = 0.05  # 5% of events arrive late...
duplicate_share = 0.02  # ...and 2% arrive twice

# %%
import gzip
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import boto3
import lesson
import matplotlib.pyplot as plt
import pandas as pd
from moto import mock_aws

delivery = lesson.module("ingest.delivery")
live = lesson.module("ingest.live")
lake_module = lesson.module("ingest.lake")
handler_module = lesson.module("ingest.handler")
aws_sinks = lesson.module("ingest.aws_sinks")

folder = lesson.workspace("02_delivery")
seed = lesson.settings(folder).seed if seed is None else seed
start = datetime.fromisoformat(day).replace(tzinfo=UTC)
end = start + timedelta(hours=hours)
policy = delivery.DeliveryPolicy(late_share=late_share, duplicate_share=duplicate_share)
print(f"seed {seed}; arrivals from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC; {policy}")

# %% [markdown]
# ## Late, duplicate, on time
#
# A phone that was offline sends its events when it is back; a producer whose
# acknowledgement got lost sends the batch again. So the stream carries events
# *late* (after their own timestamp) and *twice* (same `event_id`). Which events
# are late or doubled is a hash of (seed, event id): the same in every run, so a
# retried Lambda invocation sends exactly what the first one sent.

# %%
arrivals = list(delivery.deliveries_in_window(seed, start, end, policy))
table = pd.DataFrame(
    {
        "event_id": [a.event.event_id for a in arrivals],
        "event_type": [a.event.body["event_type"] for a in arrivals],
        "event_time": [a.event.timestamp for a in arrivals],
        "arrived_at": [a.arrived_at for a in arrivals],
        "late": [a.late for a in arrivals],
        "duplicate": [a.duplicate for a in arrivals],
    }
)
table["delay_minutes"] = (table["arrived_at"] - table["event_time"]).dt.total_seconds() / 60
kind = table["duplicate"].map({True: "second copy", False: ""}) + table["late"].map({True: " late", False: ""})
table["kind"] = kind.str.strip().replace("", "on time")
print(f"{len(table):,} arrivals of {table['event_id'].nunique():,} distinct events")
table.groupby("kind").agg(arrivals=("event_id", "size"), median_delay_minutes=("delay_minutes", "median"))

# %% [markdown]
# A late event arrives at least one schedule window (5 minutes) after it happened
# and at most 3 hours after; a second copy comes within 10 minutes of the first.
# Some arrivals in this window are events that *happened before it started*.

# %%
late = table[table["late"] & ~table["duplicate"]]
axes = late["delay_minutes"].plot.hist(bins=18, figsize=(8, 3), color="#dd8452", title="How late the late events are")
axes.set_xlabel("minutes between the event and its arrival")
axes.set_ylabel("events")
plt.show()
print("arrivals of events from before the window:", int((table["event_time"] < start).sum()))

# %% [markdown]
# ## A stateless producer: any schedule, the same arrivals
#
# The Lambda runs every 5 minutes and remembers nothing between runs. It can
# still deliver late events because it *recomputes* them: to know what arrives in
# its window it generates the hours before the window and keeps the arrivals that
# fall inside. Cut the span into hourly windows, one call each, and
# compare with one call over the whole span.

# %%
hourly = []
window_start = start
while window_start < end:
    window_end = min(window_start + timedelta(hours=1), end)
    hourly += delivery.deliveries_in_window(seed, window_start, window_end, policy)
    window_start = window_end


def key(arrival):
    return (arrival.arrived_at, arrival.event.event_id, arrival.duplicate)


print(f"one call: {len(arrivals):,} arrivals; {hours} hourly calls: {len(hourly):,} arrivals")
print("the same arrivals, in the same order:", [key(a) for a in hourly] == [key(a) for a in arrivals])

# %% [markdown]
# ## Firehose's buffer: file count against latency
#
# Firehose collects records and writes one S3 file when its buffer is old enough
# (the *buffer interval*, 0 to 900 s) or big enough (1 to 128 MiB). A short
# interval makes data fresh but writes many small files, and the warehouse pays
# per file loaded; a long one writes few files, but a record can wait up to the
# whole interval before anyone can see it. Deliver the same arrivals with five
# intervals and measure both.
#
# A record waits from its arrival until its buffer closes (opened + interval).
# The wait is computed from the arrivals; the file count is what the sink wrote.


# %%
def waits_in_buffer(arrival_times, interval):
    """Seconds each record waits for its buffer to close, by Firehose's time rule."""
    waits, opened = [], None
    for moment in sorted(arrival_times):
        if opened is None or (moment - opened).total_seconds() >= interval:
            opened = moment
        waits.append(interval - (moment - opened).total_seconds())
    return waits


rows = []
for interval in (60, 120, 300, 600, 900):
    lake_dir = folder / f"lake_{interval}s"
    sink = live.deliver_to_lake(arrivals, lake_dir, interval)
    waits = pd.Series(waits_in_buffer(table["arrived_at"], interval))
    rows.append(
        {"buffer_seconds": interval, "files": sink.file_count, "mean_wait_s": waits.mean(), "max_wait_s": waits.max()}
    )
buffering = pd.DataFrame(rows)
buffering.round(1)

# %%
figure, axes = plt.subplots(figsize=(8, 4))
axes.plot(buffering["mean_wait_s"] / 60, buffering["files"], marker="o", color="#4c72b0")
for row in buffering.itertuples():
    axes.annotate(
        f"{row.buffer_seconds} s", (row.mean_wait_s / 60, row.files), textcoords="offset points", xytext=(6, 6)
    )
axes.set_xlabel("mean minutes a record waits in the buffer")
axes.set_ylabel(f"files written in {hours} h")
axes.set_title("Firehose buffer interval: fewer files cost freshness")
plt.show()

# %% [markdown]
# ## Checkpoint: every arrival is in the lake, once per arrival
#
# Count the arrivals one way, the lines of the 300 s lake another: read back from
# the gzip files. The duplicates are there too: the lake keeps what was delivered,
# and the warehouse removes the second copies later (notebook 4).

# %%
lines_in_lake = []
for path in lake_module.list_lake_files(folder / "lake_300s"):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines_in_lake += [json.loads(line)["event_id"] for line in handle]
print(f"arrivals {len(arrivals):,}, lines in the lake {len(lines_in_lake):,}")
print(f"distinct events {table['event_id'].nunique():,}, distinct in the lake {len(set(lines_in_lake)):,}")
assert len(lines_in_lake) == len(arrivals)
assert set(lines_in_lake) == set(table["event_id"])

# %% [markdown]
# ## The Lambda handler, on your laptop
#
# In AWS, EventBridge invokes `handler(event, context)` every 5 minutes with the
# schedule's time; the handler delivers the 5 minutes before it. Its configuration
# is environment variables (the CloudFormation stack sets them). Here, `SINK=local`
# writes the window into a folder, as Firehose would write it to S3.

# %%
lambda_env = {
    "SINK": "local",
    "LAKE_DIR": str(folder / "lambda_lake"),
    "EVENT_SEED": str(seed),
    "WINDOW_MINUTES": "5",
    "LATE_SHARE": str(late_share),
    "DUPLICATE_SHARE": str(duplicate_share),
}
schedule = {"time": f"{day}T12:05:00Z", "detail-type": "Scheduled Event"}
with mock.patch.dict(os.environ, lambda_env):
    summary = handler_module.handler(schedule, None)
pd.Series({name: value for name, value in summary.items() if name != "written"}, name="summary").to_frame()

# %% [markdown]
# EventBridge may invoke the same schedule twice, and Lambda retries a failed
# invocation. Invoke again: the files have the same names and the same bytes
# (file names come from the content), so the lake holds nothing new and the
# warehouse load (which skips file names it has loaded) counts nothing twice.


# %%
def fingerprint(paths):
    return {os.path.basename(p): hashlib.sha256(Path(p).read_bytes()).hexdigest()[:12] for p in paths}


with mock.patch.dict(os.environ, lambda_env):
    retried = handler_module.handler(schedule, None)
print("same files, same bytes:", fingerprint(retried["written"]) == fingerprint(summary["written"]))
fingerprint(summary["written"])

# %% [markdown]
# ## Kinesis rejects part of a batch
#
# With `SINK=kinesis` the handler sends `PutRecords` batches of up to 500 records.
# Kinesis can accept most of a batch and reject a few records (a hot shard:
# `ProvisionedThroughputExceededException`); the call itself succeeds. A producer
# that only checks the call loses those records silently. The sink re-sends only
# the rejected ones, with exponential backoff.
#
# moto emulates Kinesis in this process, but it never rejects anything, so a thin
# wrapper plays the hot shard: it rejects the first attempt of every 7th record.
# Send the first 1,200 arrivals: three batches.

# %%
for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ[name] = "testing"  # moto's fake credentials: nothing can reach a real account
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
aws = mock_aws()
aws.start()
kinesis = boto3.client("kinesis")
kinesis.create_stream(StreamName="raw-events", ShardCount=2)


class HotShard:
    """A Kinesis client that rejects the first attempt of every `every`-th record, and passes the rest to moto."""

    def __init__(self, client, every):
        self.client, self.every, self.seen, self.calls = client, every, set(), 0

    def put_records(self, StreamName, Records):
        self.calls += 1
        answers, accepted = [], []
        for record in Records:
            first_attempt = record["Data"] not in self.seen
            self.seen.add(record["Data"])
            if first_attempt and int(hashlib.sha256(record["Data"]).hexdigest(), 16) % self.every == 0:
                answers.append({"ErrorCode": "ProvisionedThroughputExceededException"})
            else:
                answers.append(None)
                accepted.append(record)
        real = iter(self.client.put_records(StreamName=StreamName, Records=accepted)["Records"] if accepted else [])
        return {"Records": [answer or next(real) for answer in answers]}


def stream_records(client, stream):
    """Every record in the stream, read shard by shard from the start."""
    records = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = client.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            iterator = page["NextShardIterator"] if page["Records"] else None
    return records


records = [aws_sinks.Record(a.event.to_json().encode() + b"\n", a.event.body["session_id"]) for a in arrivals[:1200]]
hot_shard = HotShard(kinesis, every=7)
report = aws_sinks.KinesisSink(hot_shard, "raw-events").send(records)
in_stream = stream_records(kinesis, "raw-events")
print(report)
print(f"records sent {len(records)}, in the stream {len(in_stream)}, distinct {len({r['Data'] for r in in_stream})}")

# %% [markdown]
# Every record reached the stream exactly once: the retries carried only the
# rejected records. (A *whole* batch retried after a lost response would send
# duplicates: the warehouse's deduplication by `event_id` is the last line of
# defence.)
#
# ## Break it on purpose: a shard that never recovers
#
# Now every attempt is throttled. After the last retry the sink counts the records
# as failed, and the handler raises `DeliveryError`: the invocation fails, Lambda
# retries it, and the failure shows in CloudWatch instead of a silent gap in the
# lake. (The handler gets its clients from `_aws_client`; the project's tests
# swap it the same way.) The next cell is *meant* to fail with `DeliveryError`.


# %%
class DeadShard:
    def put_records(self, StreamName, Records):
        return {"Records": [{"ErrorCode": "InternalFailure"} for _ in Records]}


kinesis_env = {**lambda_env, "SINK": "kinesis", "KINESIS_STREAM_NAME": "raw-events"}

# %% tags=["raises-exception"] expected_exception="DeliveryError"
with (
    mock.patch.dict(os.environ, kinesis_env),
    mock.patch.object(handler_module, "_aws_client", lambda service: DeadShard()),
):
    handler_module.handler(schedule, None)

# %%
aws.stop()

# %% [markdown]
# ## Your turn
#
# 1. Set `late_share = 0.3` and re-run. How does the delay histogram change, and
#    how many arrivals in the window are events from before it?
# 2. Compare 1-minute and 15-minute hourly windows in the stateless check: does
#    the answer ever change? What does each invocation have to generate?
# 3. Give `LocalLakeSink` a 1 MiB size limit (`buffer_bytes`) with a 900 s
#    interval: on a busy evening, which rule closes the files?
# 4. Make `HotShard` reject every record twice (`max_attempts=2` on the sink):
#    what does the report say, and what does the handler do?
