"""The Lambda handler and its AWS sinks. moto stands in for AWS (Kinesis, Firehose, S3): nothing leaves the machine.

moto never rejects part of a batch, so the partial-failure tests wrap the moto
client in one that rejects chosen records on their first attempt, as Kinesis
does under throttling.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections import Counter
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.ingest.aws_sinks import FirehoseSink, KinesisSink, Record, batches
from {{ cookiecutter.package_name }}.ingest.generator import generate_events
from {{ cookiecutter.package_name }}.ingest.handler import DeliveryError, HandlerConfig, handler, window_of

SCHEDULE = {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2025-10-04T19:05:00Z"}


@functools.cache
def window_events():
    """The events of the scheduled window, 19:00-19:05 on 2025-10-04, straight from the generator."""
    return generate_events(42, datetime(2025, 10, 4, 19, 0, tzinfo=UTC), datetime(2025, 10, 4, 19, 5, tzinfo=UTC))


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "EVENT_SEED": "42",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def kinesis_records(client, stream):
    shard_ids = [s["ShardId"] for s in client.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]]
    found = []
    for shard_id in shard_ids:
        iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
        found += client.get_records(ShardIterator=iterator["ShardIterator"], Limit=10000)["Records"]
    return found


def test_the_window_is_the_period_before_the_schedule_time():
    start, end = window_of({"time": "2025-10-04T19:07:31Z"}, HandlerConfig.from_env({}).window)
    assert (start.isoformat(), end.isoformat()) == ("2025-10-04T19:00:00+00:00", "2025-10-04T19:05:00+00:00")


def test_handler_sends_the_window_to_kinesis(aws, monkeypatch):
    client = boto3.client("kinesis")
    client.create_stream(StreamName="raw-events", ShardCount=2)
    monkeypatch.setenv("SINK", "kinesis")
    monkeypatch.setenv("KINESIS_STREAM_NAME", "raw-events")

    summary = handler(SCHEDULE, None)

    expected = window_events()
    assert summary["events"] == summary["records_sent"] == len(expected) > 0
    assert summary["records_retried"] == summary["records_failed"] == 0
    records = kinesis_records(client, "raw-events")
    assert sorted(r["Data"] for r in records) == sorted(e.to_json().encode() + b"\n" for e in expected)
    session_of = {e.event_id: e.body["session_id"] for e in expected}
    assert all(r["PartitionKey"] == session_of[json.loads(r["Data"])["event_id"]] for r in records)


def test_a_retried_invocation_sends_the_same_events_with_the_same_ids(aws, monkeypatch):
    client = boto3.client("kinesis")
    client.create_stream(StreamName="raw-events", ShardCount=1)
    monkeypatch.setenv("SINK", "kinesis")
    monkeypatch.setenv("KINESIS_STREAM_NAME", "raw-events")
    handler(SCHEDULE, None)
    handler(SCHEDULE, None)  # EventBridge retried the invocation
    counts = {}
    for record in kinesis_records(client, "raw-events"):
        counts[record["Data"]] = counts.get(record["Data"], 0) + 1
    assert set(counts.values()) == {2}  # each identical record twice: downstream dedups by event_id


def test_handler_sends_the_window_to_firehose_in_batches(aws, monkeypatch):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lake")
    firehose = boto3.client("firehose")
    firehose.create_delivery_stream(
        DeliveryStreamName="raw-events",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::lake",
            "Prefix": "raw-events/",
        },
    )
    monkeypatch.setenv("SINK", "firehose")
    monkeypatch.setenv("FIREHOSE_DELIVERY_STREAM_NAME", "raw-events")

    summary = handler(SCHEDULE, None)

    assert summary["records_sent"] == len(window_events()) > 0
    assert summary["api_calls"] == -(-len(window_events()) // 500)  # ceil: at most 500 records a call


def test_handler_writes_s3_objects_with_firehose_keys_and_gzip_ndjson(aws, monkeypatch):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lake")
    monkeypatch.setenv("SINK", "s3")
    monkeypatch.setenv("S3_BUCKET", "lake")

    summary = handler(SCHEDULE, None)

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"]]
    assert keys == summary["written"] and keys
    lines = []
    for key in keys:
        assert re.fullmatch(
            r"raw-events/2025/10/04/19/raw-events-delivery-1-2025-10-04-19-[\d-]{5}-[0-9a-f-]{36}\.json\.gz", key
        )
        body = s3.get_object(Bucket="lake", Key=key)["Body"].read()
        lines += gzip.decompress(body).decode().splitlines()
    assert lines == [e.to_json() for e in window_events()]


def test_late_and_duplicate_shares_show_in_the_summary(aws, monkeypatch, tmp_path):
    monkeypatch.setenv("SINK", "local")
    monkeypatch.setenv("LAKE_DIR", str(tmp_path))
    monkeypatch.setenv("LATE_SHARE", "0.5")
    monkeypatch.setenv("DUPLICATE_SHARE", "0.5")
    summary = handler(SCHEDULE, None)
    assert summary["late"] > 0 and summary["duplicates"] > 0
    assert summary["records_sent"] == summary["events"]
    ids = []
    for path in tmp_path.rglob("*.json.gz"):
        with gzip.open(path, "rt") as handle:
            ids += [json.loads(line)["event_id"] for line in handle]
    assert len(ids) == summary["events"]
    # A second copy may arrive in this window or a later one, so at most `duplicates` ids repeat here.
    assert 0 <= len(ids) - len(set(ids)) <= summary["duplicates"]
    assert max(Counter(ids).values()) <= 2


class RejectOnce:
    """A moto client that rejects the chosen records on their first attempt only."""

    def __init__(self, client, method, results_key, reject):
        self.client, self.method, self.results_key = client, method, results_key
        self.reject, self.rejected = set(reject), set()

    def call(self, records, **kwargs):
        accepted = [r for r in records if r["Data"] not in self.reject or r["Data"] in self.rejected]
        real = getattr(self.client, self.method)(Records=accepted, **kwargs)[self.results_key] if accepted else []
        answers, real = [], iter(real)
        for record in records:
            if record["Data"] in self.reject and record["Data"] not in self.rejected:
                self.rejected.add(record["Data"])
                answers.append({"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"})
            else:
                answers.append(next(real))
        return {self.results_key: answers}


def test_kinesis_retries_only_the_rejected_records_once_each(aws):
    client = boto3.client("kinesis")
    client.create_stream(StreamName="raw-events", ShardCount=1)
    records = [Record(json.dumps({"n": n}).encode() + b"\n", f"s{n % 7}") for n in range(1200)]
    rejected = {records[n].data for n in (0, 3, 499, 500, 777, 1199)}
    flaky = RejectOnce(client, "put_records", "Records", rejected)

    class Client:
        def put_records(self, StreamName, Records):
            return flaky.call(Records, StreamName=StreamName)

    sleeps = []
    report = KinesisSink(Client(), "raw-events", sleep=sleeps.append).send(records)

    assert (report.sent, report.retried, report.failed) == (1200, 6, 0)
    assert report.errors == {"ProvisionedThroughputExceededException": 6}
    assert sleeps == [0.1, 0.1, 0.1]  # one backoff per batch that had rejections (3 batches of <= 500)
    delivered = [r["Data"] for r in kinesis_records(client, "raw-events")]
    assert sorted(delivered) == sorted(r.data for r in records)  # every record exactly once


def test_firehose_gives_up_after_the_last_attempt_and_reports_the_failures(aws):
    class AlwaysRejectsTheFirst:
        calls = 0

        def put_record_batch(self, DeliveryStreamName, Records):
            self.calls += 1
            accepted = [{"RecordId": "x"}] * (len(Records) - 1)
            return {"RequestResponses": [{"ErrorCode": "ServiceUnavailableException"}, *accepted]}

    client = AlwaysRejectsTheFirst()
    sleeps = []
    report = FirehoseSink(client, "raw-events", max_attempts=4, sleep=sleeps.append).send(
        [Record(b"a\n", "k"), Record(b"b\n", "k")]
    )
    assert (report.sent, report.retried, report.failed, client.calls) == (1, 3, 1, 4)
    assert sleeps == [0.1, 0.2, 0.4]  # exponential backoff


def test_a_failed_record_fails_the_invocation(aws, monkeypatch):
    import {{ cookiecutter.package_name }}.ingest.handler as handler_module

    class Rejects:
        def put_records(self, StreamName, Records):
            return {"Records": [{"ErrorCode": "InternalFailure"} for _ in Records]}

    monkeypatch.setenv("SINK", "kinesis")
    monkeypatch.setenv("KINESIS_STREAM_NAME", "raw-events")
    monkeypatch.setattr(handler_module, "_aws_client", lambda service: Rejects())
    monkeypatch.setattr("{{ cookiecutter.package_name }}.ingest.aws_sinks.time.sleep", lambda seconds: None)
    with pytest.raises(DeliveryError, match="records failed after retries"):
        handler(SCHEDULE, None)


def test_batches_respect_the_count_and_byte_limits():
    records = [Record(b"x" * 1000, "k") for _ in range(1200)]
    sizes = [len(b) for b in batches(records, 500, 5 * 1024 * 1024, lambda r: len(r.data))]
    assert sizes == [500, 500, 200]
    by_bytes = [len(b) for b in batches(records, 500, 250_000, lambda r: len(r.data))]
    assert by_bytes[0] == 250 and sum(by_bytes) == 1200


@pytest.mark.parametrize(
    "env, message",
    [
        ({"SINK": "kafka"}, "SINK must be one of kinesis, firehose, s3, local"),
        ({"SINK": "kinesis"}, "SINK=kinesis needs KINESIS_STREAM_NAME"),
        ({"WINDOW_MINUTES": "7"}, "WINDOW_MINUTES must divide an hour"),
        ({"LATE_SHARE": "2"}, "late_share must be between 0 and 1"),
    ],
)
def test_bad_settings_give_a_clear_error(env, message):
    with pytest.raises(PipelineError, match=message):
        HandlerConfig.from_env(env)


def test_consecutive_invocations_emit_every_event_once_without_state(monkeypatch, tmp_path):
    """Sessions that span windows (an order fulfilled hours later) are split by event time alone."""
    monkeypatch.setenv("SINK", "local")
    monkeypatch.setenv("LAKE_DIR", str(tmp_path))
    monkeypatch.setenv("EVENT_SEED", "42")
    summaries = [
        handler({"time": f"2025-10-04T{hour:02d}:{minute:02d}:00Z"}, None)
        for hour in (19, 20)
        for minute in range(0, 60, 5)
    ]
    lines = []
    for path in sorted(tmp_path.rglob("*.json.gz")):
        lines += gzip.decompress(path.read_bytes()).decode().splitlines()
    expected = generate_events(42, datetime(2025, 10, 4, 18, 55, tzinfo=UTC), datetime(2025, 10, 4, 20, 55, tzinfo=UTC))
    assert sorted(lines) == sorted(e.to_json() for e in expected)
    assert sum(s["events"] for s in summaries) == len(expected)
    # Orders created before these windows are fulfilled inside them: nothing was remembered between calls.
    assert any(
        e.body["event_type"] == "order_fulfilled" and e.body["order"]["created_at"] < "2025-10-04T18:55"
        for e in expected
    )
