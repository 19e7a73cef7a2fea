"""AWS Lambda entry point: each scheduled invocation delivers the events of its own time window.

An EventBridge schedule (every 5 minutes by default) invokes `handler` with the
time of the schedule; the window is the 5 minutes before it. The events come
from the deterministic generator, so a retried invocation sends the same events
with the same ids, and no state is kept between invocations (see delivery.py
for late and duplicate arrivals).

Configuration, from environment variables (the CloudFormation stack sets them):
    SINK                           kinesis | firehose | s3 | local
    KINESIS_STREAM_NAME            for SINK=kinesis
    FIREHOSE_DELIVERY_STREAM_NAME  for SINK=firehose
    S3_BUCKET                      for SINK=s3
    LAKE_DIR                       for SINK=local (default data/lake)
    EVENT_SEED                     the generator's seed
    WINDOW_MINUTES                 the schedule's period (default 5)
    LATE_SHARE, DUPLICATE_SHARE    at-least-once delivery, 0 to 1 (default 0)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import PipelineError
from ..settings import DEFAULT_SEED
from .aws_sinks import FirehoseSink, KinesisSink, Record, S3Sink, SendReport
from .catalog import build_catalog
from .delivery import Delivery, DeliveryPolicy, deliveries_in_window
from .live import deliver_to_lake, window_end_at_or_before

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

SINKS = ("kinesis", "firehose", "s3", "local")


class DeliveryError(PipelineError):
    """Some records were still rejected after every retry; the invocation fails so it is retried."""


@dataclass(frozen=True)
class HandlerConfig:
    sink: str
    seed: int
    window: timedelta
    policy: DeliveryPolicy
    target: str  # the stream, delivery stream, bucket or lake folder the sink writes to

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> HandlerConfig:
        sink = env.get("SINK", "local")
        if sink not in SINKS:
            raise PipelineError(f"SINK must be one of {', '.join(SINKS)}, got {sink!r}")
        target_variable = {
            "kinesis": "KINESIS_STREAM_NAME",
            "firehose": "FIREHOSE_DELIVERY_STREAM_NAME",
            "s3": "S3_BUCKET",
            "local": "LAKE_DIR",
        }[sink]
        target = env.get(target_variable) or ("data/lake" if sink == "local" else "")
        if not target:
            raise PipelineError(f"SINK={sink} needs {target_variable} to be set")
        try:
            seed = int(env.get("EVENT_SEED", DEFAULT_SEED))
            minutes = int(env.get("WINDOW_MINUTES", "5"))
            policy = DeliveryPolicy(
                late_share=float(env.get("LATE_SHARE", "0")),
                duplicate_share=float(env.get("DUPLICATE_SHARE", "0")),
                min_late_delay=timedelta(minutes=minutes),
            )
        except ValueError as error:
            raise PipelineError(f"invalid handler setting: {error}") from None
        if not 1 <= minutes <= 60 or 60 % minutes:
            raise PipelineError(f"WINDOW_MINUTES must divide an hour (1, 2, 3, 5, 10, 15, 30, 60...), got {minutes}")
        return cls(sink=sink, seed=seed, window=timedelta(minutes=minutes), policy=policy, target=target)


def window_of(scheduled_event: Mapping, length: timedelta) -> tuple[datetime, datetime]:
    """The window that ends at the schedule time, rounded down to a whole window."""
    moment = scheduled_event.get("time")
    if moment is None:
        raise PipelineError('the invocation event has no "time" (an EventBridge scheduled event carries one)')
    end = window_end_at_or_before(datetime.fromisoformat(moment.replace("Z", "+00:00")), length)
    return end - length, end


def _aws_client(service: str):
    import boto3  # the Lambda runtime provides it; local runs get it from the project's dependencies

    return boto3.client(service)


def send(config: HandlerConfig, deliveries: list[Delivery], clients=None) -> tuple[SendReport, list[str]]:
    """Hand the window's arrivals to the configured sink; return its report and any files or objects written."""
    clients = clients or _aws_client
    if config.sink in ("kinesis", "firehose"):
        records = [Record(d.event.to_json().encode() + b"\n", d.event.body["session_id"]) for d in deliveries]
        if config.sink == "kinesis":
            sink = KinesisSink(clients("kinesis"), config.target)
        else:
            sink = FirehoseSink(clients("firehose"), config.target)
        return sink.send(records), []
    if config.sink == "s3":
        return S3Sink(clients("s3"), config.target).send_lines((d.event.to_json(), d.arrived_at) for d in deliveries)
    lake = deliver_to_lake(deliveries, Path(config.target), int(config.window.total_seconds()))
    return SendReport(sent=lake.records_written, calls=len(lake.files_written)), [str(p) for p in lake.files_written]


def deliver_window(config: HandlerConfig, start: datetime, end: datetime, clients=None) -> dict:
    """Generate the arrivals of [start, end), send them, and summarise what happened."""
    deliveries = list(deliveries_in_window(config.seed, start, end, config.policy, build_catalog(config.seed)))
    report, written = send(config, deliveries, clients)
    return {
        "window_start": start.isoformat().replace("+00:00", "Z"),
        "window_end": end.isoformat().replace("+00:00", "Z"),
        "sink": config.sink,
        "target": config.target,
        "sessions": len({d.event.body["session_id"] for d in deliveries}),
        "events": len(deliveries),
        "late": sum(d.late for d in deliveries),
        "duplicates": sum(d.duplicate for d in deliveries),
        "records_sent": report.sent,
        "records_retried": report.retried,
        "records_failed": report.failed,
        "errors": report.errors,
        "api_calls": report.calls,
        "written": written,
    }


def handler(event: Mapping, context: object) -> dict:
    """Lambda entry point for the EventBridge schedule."""
    config = HandlerConfig.from_env()
    start, end = window_of(event, config.window)
    summary = deliver_window(config, start, end)
    if summary["records_failed"]:
        logger.error(json.dumps({"message": "records failed after retries", **summary}))
        raise DeliveryError(f"{summary['records_failed']} records failed after retries; see the log for the window")
    logger.info(json.dumps({"message": "window delivered", **summary}))
    return summary
