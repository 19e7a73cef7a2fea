"""A local twin of Kinesis Firehose delivering to S3.

Records are buffered and flushed as one gzipped, newline-delimited JSON file
when the buffer reaches its size limit or when its oldest record is older than
the buffer interval, as Firehose's buffering hints do. Files land under
`raw-events/YYYY/MM/DD/HH/`, the hour of the oldest record in the file, and
are named as Firehose names them:
`<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<id>.json.gz`.

Time here is the records' own (event) time, so a backfill of three months
produces the files that three months of live delivery would have. The id is
derived from the file's content, so regenerating a window rewrites the same
file names and the warehouse load can tell them apart from new ones.

Each file is written under a hidden temporary name and renamed when whole:
a reader never sees half a file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .generator import Event

LAKE_PREFIX = "raw-events"
DELIVERY_STREAM = "raw-events-delivery"
DELIVERY_STREAM_VERSION = 1
# Firehose's own limits for S3 buffering hints.
MIN_BUFFER_BYTES, MAX_BUFFER_BYTES = 1024 * 1024, 128 * 1024 * 1024
MIN_BUFFER_SECONDS, MAX_BUFFER_SECONDS = 0, 900


def partition_path(moment: datetime) -> str:
    """The Firehose prefix for a moment: raw-events/YYYY/MM/DD/HH."""
    return f"{LAKE_PREFIX}/{moment:%Y/%m/%d/%H}"


@dataclass
class LocalLakeSink:
    """Buffers event lines and delivers them as whole gzipped NDJSON files."""

    root: Path
    buffer_bytes: int = 5 * 1024 * 1024
    buffer_seconds: int = 300
    stream_name: str = DELIVERY_STREAM
    files_written: list[Path] = field(default_factory=list)
    records_written: int = 0
    _lines: list[bytes] = field(default_factory=list)
    _size: int = 0
    _opened_at: datetime | None = None

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if not MIN_BUFFER_BYTES <= self.buffer_bytes <= MAX_BUFFER_BYTES:
            raise ValueError(f"buffer_bytes must be between 1 MiB and 128 MiB, got {self.buffer_bytes}")
        if not MIN_BUFFER_SECONDS <= self.buffer_seconds <= MAX_BUFFER_SECONDS:
            raise ValueError(f"buffer_seconds must be between 0 and 900, got {self.buffer_seconds}")

    def put(self, event: Event) -> None:
        self.put_line(event.to_json(), event.timestamp)

    def put_line(self, line: str, arrived_at: datetime) -> None:
        """Add one record; deliver the buffer first if this record falls past its interval."""
        if self._opened_at is not None and (arrived_at - self._opened_at).total_seconds() >= self.buffer_seconds:
            self.flush()
        data = line.encode("utf-8") + b"\n"
        if self._opened_at is None:
            self._opened_at = arrived_at
        self._lines.append(data)
        self._size += len(data)
        if self._size >= self.buffer_bytes:
            self.flush()

    def flush(self) -> Path | None:
        """Deliver what is buffered as one file; returns its path (None if empty)."""
        if not self._lines:
            return None
        payload = b"".join(self._lines)
        opened_at = self._opened_at
        file_id = uuid.UUID(bytes=hashlib.sha256(payload).digest()[:16], version=4)
        name = f"{self.stream_name}-{DELIVERY_STREAM_VERSION}-{opened_at:%Y-%m-%d-%H-%M-%S}-{file_id}.json.gz"
        target = self.root / partition_path(opened_at) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{name}.tmp")
        # mtime=0 keeps the gzip header free of the clock: same records, same bytes.
        with open(temporary, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(payload)
        os.replace(temporary, target)
        self.files_written.append(target)
        self.records_written += len(self._lines)
        self._lines, self._size, self._opened_at = [], 0, None
        return target

    def __enter__(self) -> LocalLakeSink:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # On an error, deliver nothing half-way: what was buffered is dropped with
        # the failed run, and a re-run regenerates it (the generator is deterministic).
        if exc_type is None:
            self.flush()
        else:
            self._lines, self._size, self._opened_at = [], 0, None


def list_lake_files(root: Path) -> list[Path]:
    """Every delivered file in the lake, in path order (temporary files excluded)."""
    return sorted(Path(root).glob(f"{LAKE_PREFIX}/*/*/*/*/*.json.gz"))
