"""Hostile input: the records and files a careless or hostile sender delivers, made on purpose.

Each function turns good event lines (the generator's) into one class of bad
input, deterministically, so a test or `make chaos` can plant it in a lake and
check where every line ends up:

    at load, each bad line in raw.raw_events_rejects with its reason
        missing_required   an event without event_timestamp, event_type or customer
        unreadable_lines   invalid UTF-8, a line longer than the reader takes, a line
                           with the reader's delimiter (the unit separator)
    at load, each bad file moved to <lake>/quarantine/, in raw.quarantined_files
        random_bytes       a .json.gz file of random bytes
        plain_text         NDJSON that was never gzipped, named .json.gz
    at staging, each bad event in staging.stg_quarantined_events with its reason
        clock_ahead        an event dated half a year after it reached the lake (a wrong device clock)
        ancient            an event dated 1970-01-01 (a clock reset to zero)
        unconvertible      a month 13 in event_timestamp, a word where the price belongs

Files are delivered as the lake sink delivers them (Firehose's folder and file
names), so nothing but their content gives them away.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from datetime import datetime, timedelta

from ..ingest.generator import uuid4_str
from ..ingest.lake import DELIVERY_STREAM, DELIVERY_STREAM_VERSION, gzip_bytes, partition_path

# Longer than DuckDB's read_csv takes (max_line_size, 2,000,000 bytes by default). Snowflake
# would load it (a VARIANT holds 16 MB), and reject it then for its missing required fields.
OVERLONG_LINE_BYTES = 2_100_000
UNIT_SEPARATOR = "\x1f"  # the load reads each line as one CSV column split on it
CLOCK_AHEAD = timedelta(days=183)
ANCIENT_TIMESTAMP = "1970-01-01T00:00:00.000Z"
MISSING_FIELDS = ("event_timestamp", "event_type", "customer")


def _dumps(event: dict) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def missing_required(lines: list[str]) -> list[str]:
    """Each event without one required field, in turn: event_timestamp, event_type, customer."""
    events = [json.loads(line) for line in lines]
    return [
        _dumps({key: value for key, value in event.items() if key != MISSING_FIELDS[index % len(MISSING_FIELDS)]})
        for index, event in enumerate(events)
    ]


def clock_ahead(lines: list[str], delivered_at: datetime) -> list[str]:
    """Each event dated CLOCK_AHEAD after `delivered_at` (its time of day kept), as a device with a wrong clock.

    Ahead of the delivery, not of the event's own time: what makes a clock wrong is
    the time the event reaches the lake, which for a backfilled window is long after.
    """
    shifted = []
    for line in lines:
        event = json.loads(line)
        moment = (delivered_at + CLOCK_AHEAD).strftime("%Y-%m-%dT")
        event["event_timestamp"] = moment + event["event_timestamp"][11:]
        shifted.append(_dumps(event))
    return shifted


def ancient(lines: list[str]) -> list[str]:
    """Each event dated at the Unix epoch, as a clock reset to zero sends it."""
    return [_dumps({**json.loads(line), "event_timestamp": ANCIENT_TIMESTAMP}) for line in lines]


def unconvertible(lines: list[str]) -> list[str]:
    """product_viewed events with, in turn, month 13 in their timestamp and a word for their price."""
    bad = []
    for index, line in enumerate(lines):
        event = json.loads(line)
        if index % 2 == 0:
            event["event_timestamp"] = "2025-13-45" + event["event_timestamp"][10:]
        else:
            event["product"] = {**event["product"], "price": "ten dollars"}
        bad.append(_dumps(event))
    return bad


def unreadable_lines(good: list[str]) -> tuple[list[bytes], int]:
    """Good lines with three the reader cannot take between them; returns (lines as bytes, bad lines)."""
    invalid_utf8 = good[0].encode()[:-2] + b'\xff\xfe"}'
    overlong = b'{"padding":"' + b"x" * OVERLONG_LINE_BYTES + b'"}'
    separator = good[1].replace('"', f'"{UNIT_SEPARATOR}', 1).encode()
    bad = [invalid_utf8, overlong, separator]
    mixed: list[bytes] = []
    for index, line in enumerate(good):
        mixed.append(line.encode())
        if index < len(bad):
            mixed.append(bad[index])
    return mixed, len(bad)


def random_bytes(seed: int, size: int = 4096) -> bytes:
    """Bytes that are no gzip stream, the same for the same seed."""
    return random.Random(seed).randbytes(size)


def plain_text(lines: list[str]) -> bytes:
    """NDJSON that was never compressed."""
    return "".join(line + "\n" for line in lines).encode()


def ndjson_gzip(lines: list[bytes]) -> bytes:
    """Lines (bytes, any content) as one gzipped NDJSON file, as the sink writes it."""
    return gzip_bytes(b"".join(line + b"\n" for line in lines))


def write_lake_file(lake_dir: os.PathLike | str, delivered_at: datetime, content: bytes) -> str:
    """Put `content` in the lake as a file delivered at `delivered_at`; returns its lake-relative path.

    Named as the sink names files (raw-events/YYYY/MM/DD/HH/<stream>-<version>-<time>-<id>.json.gz),
    the id derived from the content, and written under a temporary name first, as the sink does.
    """
    file_id = uuid4_str(int.from_bytes(hashlib.sha256(content).digest()[:16], "big"))
    folder = os.path.join(os.fspath(lake_dir), partition_path(delivered_at))
    os.makedirs(folder, exist_ok=True)
    name = f"{DELIVERY_STREAM}-{DELIVERY_STREAM_VERSION}-{delivered_at:%Y-%m-%d-%H-%M-%S}-{file_id}.json.gz"
    temporary = os.path.join(folder, f".{name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(content)
    os.replace(temporary, os.path.join(folder, name))
    return f"{partition_path(delivered_at)}/{name}"
