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

Files are gzip level 1 by default. Firehose does not document its level; level
1 compresses these JSON lines about 4.6x (level 9: 5.3x) at twice the speed,
and compression is the largest single cost of a backfill. The gzip header is
fixed (no name, mtime 0, OS "unknown"), so the same records give the same bytes
on every machine with the same zlib.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import zlib
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .generator import EPOCH, Event, uuid4_str

LAKE_PREFIX = "raw-events"
DELIVERY_STREAM = "raw-events-delivery"
DELIVERY_STREAM_VERSION = 1
# Firehose's own limits for S3 buffering hints.
MIN_BUFFER_BYTES, MAX_BUFFER_BYTES = 1024 * 1024, 128 * 1024 * 1024
MIN_BUFFER_SECONDS, MAX_BUFFER_SECONDS = 0, 900
GZIP_LEVEL = 1
# Magic, deflate, no flags, mtime 0, no extra flags, OS 255 (unknown): what gzip.compress(mtime=0) writes.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def partition_path(moment: datetime) -> str:
    """The Firehose prefix for a moment: raw-events/YYYY/MM/DD/HH."""
    return f"{LAKE_PREFIX}/{moment:%Y/%m/%d/%H}"


def gzip_bytes(payload: bytes, level: int = GZIP_LEVEL) -> bytes:
    """One gzip member with a fixed header: same payload and level, same bytes."""
    # memLevel 7 (zlib's default is 8): half-size hash tables are set up faster for each file of
    # tens of KB and compress it as well (the 32 KiB window, what readers rely on, is unchanged).
    deflate = zlib.compressobj(level, zlib.DEFLATED, -15, 7)
    deflated = deflate.compress(payload) + deflate.flush()
    return _GZIP_HEADER + deflated + struct.pack("<II", zlib.crc32(payload), len(payload) & 0xFFFFFFFF)


def _to_us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _utf8_size(text: str) -> int:
    # Only names like Müller are not ASCII: skip the encoding for the others.
    return len(text) if text.isascii() else len(text.encode())


@dataclass
class LocalLakeSink:
    """Buffers event lines and delivers them as whole gzipped NDJSON files."""

    root: Path
    buffer_bytes: int = 5 * 1024 * 1024
    buffer_seconds: int = 300
    stream_name: str = DELIVERY_STREAM
    compresslevel: int = GZIP_LEVEL
    # False: count files without keeping their paths (a long backfill writes thousands).
    keep_paths: bool = True
    files_written: list[Path] = field(default_factory=list)
    file_count: int = 0
    records_written: int = 0
    # The buffer: runs of lines (each run joined by newlines), how many records and UTF-8 bytes they make.
    _runs: list[str] = field(default_factory=list)
    _count: int = 0
    _size: int = 0
    _opened_us: int | None = None  # event time of the buffer's oldest record, in µs since the epoch
    # Hour since the epoch -> its folder (made, with a trailing separator) and its YYYY-MM-DD-HH.
    _folders: dict[int, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if not MIN_BUFFER_BYTES <= self.buffer_bytes <= MAX_BUFFER_BYTES:
            raise ValueError(f"buffer_bytes must be between 1 MiB and 128 MiB, got {self.buffer_bytes}")
        if not MIN_BUFFER_SECONDS <= self.buffer_seconds <= MAX_BUFFER_SECONDS:
            raise ValueError(f"buffer_seconds must be between 0 and 900, got {self.buffer_seconds}")
        self._root = str(self.root)

    def put(self, event: Event) -> None:
        self._put(event.to_json(), event.epoch_ms * 1000)

    def put_line(self, line: str, arrived_at: datetime) -> None:
        """Add one record; deliver the buffer first if this record falls past its interval."""
        self._put(line, _to_us(arrived_at))

    def _put(self, line: str, arrived_us: int) -> None:
        if self._opened_us is not None and arrived_us - self._opened_us >= self.buffer_seconds * 1_000_000:
            self.flush()
        if self._opened_us is None:
            self._opened_us = arrived_us
        self._runs.append(line)
        self._count += 1
        self._size += _utf8_size(line) + 1
        if self._size >= self.buffer_bytes:
            self.flush()

    def put_records(self, records: Sequence[tuple[int, str, str]]) -> None:
        """Add (epoch_ms, event_id, line) records sorted by time, by put_line's rules.

        Fast for many records: the records up to the end of the buffer interval
        are found by bisection and added as one run, unless they would reach
        the size limit, in which case they are added one by one.
        """
        limit, count, index = self.buffer_seconds * 1_000_000, len(records), 0
        while index < count:
            if self._opened_us is None:
                epoch_ms, _, line = records[index]
                self._put(line, epoch_ms * 1000)
                index += 1
                continue
            # The first record at or past this millisecond closes the buffer.
            closing_ms = -(-(self._opened_us + limit) // 1000)
            stop = bisect_left(records, (closing_ms,), index)
            if stop == index:
                self.flush()
                continue
            run = "\n".join([record[2] for record in records[index:stop]])
            size = _utf8_size(run) + stop - index
            if self._size + size < self.buffer_bytes:
                self._runs.append(run)
                self._count += stop - index
                self._size += size
            else:  # the size limit falls inside this run
                for epoch_ms, _, line in records[index:stop]:
                    self._put(line, epoch_ms * 1000)
            index = stop

    def flush(self) -> Path | None:
        """Deliver what is buffered as one file; returns its path (None if empty, or keep_paths is off)."""
        if not self._count:
            return None
        payload = "\n".join([*self._runs, ""]).encode()  # "" ends the last line, without another copy
        file_id = uuid4_str(int.from_bytes(hashlib.sha256(payload).digest()[:16], "big"))
        hour, second = divmod(self._opened_us // 1_000_000, 3600)
        place = self._folders.get(hour)
        if place is None:
            opened_at = EPOCH + timedelta(hours=hour)
            folder = os.path.join(self._root, partition_path(opened_at))
            os.makedirs(folder, exist_ok=True)
            if len(self._folders) > 64:  # files come in time order: recent folders are enough
                self._folders.clear()
            place = self._folders[hour] = (folder + os.sep, f"{opened_at:%Y-%m-%d-%H}")
        folder, hour_stamp = place
        name = (
            f"{self.stream_name}-{DELIVERY_STREAM_VERSION}-{hour_stamp}-{second // 60:02d}-{second % 60:02d}"
            f"-{file_id}.json.gz"
        )
        target = folder + name
        temporary = f"{folder}.{name}.tmp"
        try:
            _write_file(temporary, gzip_bytes(payload, self.compresslevel))
            os.replace(temporary, target)  # whole, or not there at all
        except BaseException:  # Ctrl-C included: leave neither a half file nor its temporary
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        self.file_count += 1
        self.records_written += self._count
        self._clear()
        if not self.keep_paths:
            return None  # no Path: pathlib interns every name part, which would grow with the file count
        path = Path(target)
        self.files_written.append(path)
        return path

    def _clear(self) -> None:
        self._runs, self._count, self._size, self._opened_us = [], 0, 0, None

    def __enter__(self) -> LocalLakeSink:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # On an error, deliver nothing half-way: what was buffered is dropped with
        # the failed run, and a re-run regenerates it (the generator is deterministic).
        if exc_type is None:
            self.flush()
        else:
            self._clear()


def _write_file(path: str, data: bytes) -> None:
    # os.open/os.write: the buffered file object of open() costs more than the write itself here.
    fd = os.open(path, _OPEN_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def list_lake_files(root: Path) -> list[Path]:
    """Every delivered file in the lake, in path order (temporary files excluded)."""
    return sorted(Path(root).glob(f"{LAKE_PREFIX}/*/*/*/*/*.json.gz"))
