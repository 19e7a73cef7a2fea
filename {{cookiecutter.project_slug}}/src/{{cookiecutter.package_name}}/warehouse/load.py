"""Load the lake into the warehouse with dbt's `copy_into_raw_events`, quarantining files it cannot read.

dbt runs with the same project, profile and macros a learner runs by hand from
the dbt/ folder (`dbt run-operation copy_into_raw_events`).
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import PipelineError
from ..ingest.lake import list_lake_files
from ..settings import Settings
from .connection import connect_warehouse, has_table
from .dbt_runner import run_dbt

QUARANTINE_DIR = "quarantine"


@dataclass(frozen=True)
class QuarantinedFile:
    source_file: str  # where it was, relative to the lake
    quarantined_path: Path  # where it is now: <lake>/quarantine/<source_file>
    reason: str
    readable_lines: int  # whole lines before the stream breaks off


@dataclass(frozen=True)
class LoadResult:
    new_files: int  # files the load read (their lines were loaded or rejected)
    quarantined: tuple[QuarantinedFile, ...]

    @property
    def changed_raw(self) -> bool:
        """Whether the raw tables changed: rows loaded or rejected, or a file quarantined."""
        return self.new_files > 0 or bool(self.quarantined)


# The macro's summary line on both targets: "copy_into_raw_events: <n> files ...".
FILES_READ = re.compile(r"copy_into_raw_events: (?P<files>\d+) files")


def load_lake(settings: Settings) -> list[QuarantinedFile]:
    """Copy new lake files into raw.raw_events (files already loaded are skipped).

    Lines that are not events (malformed JSON, a required field missing, invalid
    UTF-8, a line longer than the reader takes) go to raw.raw_events_rejects with
    their reason: the load macro does that, and the rest of their file loads. A file
    that cannot be decompressed at all (random bytes, a gzip stream cut short) would
    fail its whole batch, so on the local target every new file is checked first:
    an unreadable one is moved to <lake>/quarantine/ under the same relative path and
    recorded in raw.quarantined_files with the reason and its count of whole readable
    lines. Returns the files quarantined by this load.
    """
    return list(load_new_files(settings).quarantined)


def load_new_files(settings: Settings) -> LoadResult:
    """`load_lake`, telling how many new files it read (from the macro's summary line)."""
    if settings.dbt_target == "local" and not settings.lake_dir.is_dir():
        raise PipelineError(
            f"no lake at {settings.lake_dir}: generate events first (make generate), or point LAKE_DIR at the lake"
        )
    quarantined = quarantine_unreadable_files(settings) if settings.dbt_target == "local" else []
    output = run_dbt(settings, "run-operation", "copy_into_raw_events")
    summary = FILES_READ.search(output)
    # No summary line but a success: count it as a change rather than miss one.
    new_files = int(summary.group("files")) if summary else int("no new files" not in output)
    return LoadResult(new_files, tuple(quarantined))


def quarantine_unreadable_files(settings: Settings) -> list[QuarantinedFile]:
    """Move every new lake file that does not decompress whole to the quarantine folder, and record it."""
    lake = settings.lake_dir.resolve()
    loaded = loaded_files(settings.warehouse_path)
    quarantined = []
    for path in list_lake_files(lake):
        source_file = path.relative_to(lake).as_posix()
        if source_file in loaded:
            continue
        problem = gzip_problem(path)
        if problem is not None:
            moved = quarantine_file(settings, path, problem)
            print(
                f"Quarantined {moved.source_file} ({moved.reason}; {moved.readable_lines:,} whole lines readable): "
                f"moved to {moved.quarantined_path}, recorded in raw.quarantined_files."
            )
            quarantined.append(moved)
    return quarantined


def loaded_files(warehouse_path: Path) -> set[str]:
    """The lake files the warehouse has loaded (raw.load_history), none before the first load."""
    if not has_table(warehouse_path, "raw", "load_history"):
        return set()
    with connect_warehouse(warehouse_path, read_only=True) as con:
        return {row[0] for row in con.execute("select source_file from raw.load_history").fetchall()}


def gzip_problem(path: Path) -> str | None:
    """Why the file is not a whole gzip stream (every member, to its end), or None when it is."""
    data = path.read_bytes()
    if not data:
        return "empty file, not a gzip stream"
    while data:
        if not data.startswith(b"\x1f\x8b"):
            return "not a gzip stream"
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16 +: expect a gzip header and trailer
        try:
            inflate.decompress(data)
        except zlib.error as error:
            return f"corrupt gzip stream ({error})"
        if not inflate.eof:
            return "gzip stream cut short (truncated)"
        data = inflate.unused_data  # the next member, if the file has several
    return None


def quarantine_file(settings: Settings, path: Path, reason: str) -> QuarantinedFile:
    """Move an unreadable lake file to <lake>/quarantine/ (same relative path) and record it."""
    lake = settings.lake_dir.resolve()
    source_file = path.relative_to(lake).as_posix()
    target = lake / QUARANTINE_DIR / source_file
    target.parent.mkdir(parents=True, exist_ok=True)
    readable = complete_lines(path)
    os.replace(path, target)
    with connect_warehouse(settings.warehouse_path) as con:
        con.execute(QUARANTINED_FILES_DDL)
        # A file delivered again under the same name replaces its record: a re-run counts it once.
        con.execute(
            "insert or replace into raw.quarantined_files values (?, ?, ?, ?, current_timestamp)",
            [source_file, target.relative_to(lake).as_posix(), reason, readable],
        )
    return QuarantinedFile(source_file, target, reason, readable)


def require_loaded(settings: Settings) -> None:
    """Refuse to transform a local warehouse that nothing has been loaded into yet."""
    if settings.dbt_target == "local" and not has_table(settings.warehouse_path, "raw", "raw_events"):
        raise PipelineError(f"nothing is loaded in {settings.warehouse_path} yet: run `make load` first")


QUARANTINED_FILES_DDL = """
create schema if not exists raw;
create table if not exists raw.quarantined_files (
    source_file varchar primary key,
    quarantined_path varchar,
    reason varchar,
    readable_lines bigint,
    quarantined_at timestamp
)
"""


def complete_lines(path: Path) -> int:
    """The whole lines a gzip file yields before its stream breaks off (all of them when it is intact)."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16 +: expect a gzip header and trailer
    try:
        text = inflate.decompress(path.read_bytes())
    except zlib.error:
        return 0
    return text.count(b"\n")
