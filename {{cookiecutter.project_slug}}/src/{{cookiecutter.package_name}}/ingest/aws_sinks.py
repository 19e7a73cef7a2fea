"""Sinks that send event lines to AWS: Kinesis Data Streams, Kinesis Firehose, or S3 directly.

Kinesis and Firehose accept batches and may reject some records of a batch
(throttling, internal errors) while accepting the rest. Only the rejected
records are sent again, with exponential backoff; a record that succeeded is
never sent twice by this code. What still fails after the last attempt is
counted and reported, not hidden.

boto3 clients are passed in, so tests hand over clients bound to moto and the
Lambda handler hands over real ones.
"""

from __future__ import annotations

import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .lake import LocalLakeSink, list_lake_files


@dataclass(frozen=True)
class Record:
    """One event line on its way out, with the key that keeps a session on one shard."""

    data: bytes
    partition_key: str


@dataclass
class SendReport:
    sent: int = 0  # records accepted, each counted once
    retried: int = 0  # re-sends of rejected records (one record retried twice counts 2)
    failed: int = 0  # records still rejected after the last attempt
    calls: int = 0  # API calls made
    errors: dict[str, int] = field(default_factory=dict)  # error code -> rejections

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.calls += other.calls
        for code, count in other.errors.items():
            self.errors[code] = self.errors.get(code, 0) + count


def batches(records: Iterable[Record], max_records: int, max_bytes: int, overhead: Callable[[Record], int]):
    """Split records into API-sized batches: at most max_records and max_bytes each."""
    batch, size = [], 0
    for record in records:
        record_size = overhead(record)
        if record_size > max_bytes:
            raise ValueError(f"a record of {record_size} bytes exceeds the {max_bytes}-byte request limit")
        if batch and (len(batch) == max_records or size + record_size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(record)
        size += record_size
    if batch:
        yield batch


class _BatchSink(ABC):
    """Send in batches; re-send only the rejected records, with exponential backoff."""

    max_records: int
    max_bytes: int

    def __init__(self, client, *, max_attempts: int = 5, base_delay: float = 0.1, sleep=time.sleep):
        self.client = client
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.sleep = sleep

    @abstractmethod
    def _size(self, record: Record) -> int:
        """The bytes this record counts against the request limit."""

    @abstractmethod
    def _put(self, batch: list[Record]) -> list[str | None]:
        """Send one batch; return, for each record in order, None if accepted or its error code."""

    def send(self, records: Iterable[Record]) -> SendReport:
        report = SendReport()
        for batch in batches(records, self.max_records, self.max_bytes, self._size):
            report.add(self._send_batch(batch))
        return report

    def _send_batch(self, batch: list[Record]) -> SendReport:
        report = SendReport()
        pending = batch
        for attempt in range(self.max_attempts):
            if attempt:
                report.retried += len(pending)
                self.sleep(self.base_delay * 2 ** (attempt - 1))
            outcome = self._put(pending)
            report.calls += 1
            rejected = []
            for record, error in zip(pending, outcome, strict=True):
                if error is None:
                    report.sent += 1
                else:
                    rejected.append(record)
                    report.errors[error] = report.errors.get(error, 0) + 1
            pending = rejected
            if not pending:
                break
        report.failed = len(pending)
        return report


class KinesisSink(_BatchSink):
    """Kinesis Data Streams PutRecords: at most 500 records and 5 MiB (data + partition keys) per call."""

    max_records = 500
    max_bytes = 5 * 1024 * 1024

    def __init__(self, client, stream_name: str, **retry):
        super().__init__(client, **retry)
        self.stream_name = stream_name

    def _size(self, record: Record) -> int:
        return len(record.data) + len(record.partition_key.encode())

    def _put(self, batch: list[Record]) -> list[str | None]:
        response = self.client.put_records(
            StreamName=self.stream_name,
            Records=[{"Data": record.data, "PartitionKey": record.partition_key} for record in batch],
        )
        return [entry.get("ErrorCode") for entry in response["Records"]]


class FirehoseSink(_BatchSink):
    """Firehose PutRecordBatch: at most 500 records and 4 MiB per call."""

    max_records = 500
    max_bytes = 4 * 1024 * 1024

    def __init__(self, client, delivery_stream_name: str, **retry):
        super().__init__(client, **retry)
        self.delivery_stream_name = delivery_stream_name

    def _size(self, record: Record) -> int:
        return len(record.data)

    def _put(self, batch: list[Record]) -> list[str | None]:
        response = self.client.put_record_batch(
            DeliveryStreamName=self.delivery_stream_name,
            Records=[{"Data": record.data} for record in batch],
        )
        return [entry.get("ErrorCode") for entry in response["RequestResponses"]]


class S3Sink:
    """Write gzipped NDJSON objects straight to S3, laid out and named as Firehose would."""

    def __init__(self, client, bucket: str, *, buffer_seconds: int = 300):
        self.client = client
        self.bucket = bucket
        self.buffer_seconds = buffer_seconds

    def send_lines(self, lines: Iterable[tuple[str, datetime]]) -> tuple[SendReport, list[str]]:
        """Deliver (line, arrival time) pairs; return the report and the object keys written."""
        report, keys = SendReport(), []
        # The local sink already builds Firehose's files; here they are staged, then uploaded.
        with tempfile.TemporaryDirectory(prefix="s3-sink-") as staging:
            with LocalLakeSink(Path(staging), buffer_seconds=self.buffer_seconds) as sink:
                for line, arrived_at in lines:
                    sink.put_line(line, arrived_at)
            for path in list_lake_files(Path(staging)):
                key = path.relative_to(staging).as_posix()
                self.client.put_object(Bucket=self.bucket, Key=key, Body=path.read_bytes())
                keys.append(key)
                report.calls += 1
            report.sent = sink.records_written
        return report, keys
