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

import duckdb

from ..errors import PipelineError
from ..settings import Settings
from .dbt_runner import dbt_failed, run_dbt_with_status

# DuckDB names a file it cannot decompress: "IO Error: Unexpected end of GZIP stream: <path>".
UNREADABLE_FILE = re.compile(r"IO Error: (?P<reason>[^:\n]*GZIP[^:\n]*): (?P<path>[^\n]+?\.json\.gz)")
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

    Malformed lines go to raw.raw_events_rejects (the load macro does that). A file
    DuckDB cannot read at all (a truncated gzip stream) would fail its whole batch:
    on the local target it is moved to <lake>/quarantine/ under the same relative
    path, recorded in raw.quarantined_files with the reason and its count of whole
    readable lines, and the load runs again for the rest. Returns the files
    quarantined by this load.
    """
    return list(load_new_files(settings).quarantined)


def load_new_files(settings: Settings) -> LoadResult:
    """`load_lake`, telling how many new files it read (from the macro's summary line)."""
    quarantined: list[QuarantinedFile] = []
    while True:
        returncode, output = run_dbt_with_status(settings, "run-operation", "copy_into_raw_events")
        if returncode == 0:
            summary = FILES_READ.search(output)
            # No summary line but a success: count it as a change rather than miss one.
            new_files = int(summary.group("files")) if summary else int("no new files" not in output)
            return LoadResult(new_files, tuple(quarantined))
        unreadable = UNREADABLE_FILE.search(output) if settings.dbt_target == "local" else None
        if unreadable is None:
            raise dbt_failed("run-operation", "copy_into_raw_events")
        moved = quarantine_file(settings, unreadable.group("path"), unreadable.group("reason"))
        print(
            f"Quarantined {moved.source_file} ({moved.reason}; {moved.readable_lines:,} whole lines readable): "
            f"moved to {moved.quarantined_path}, recorded in raw.quarantined_files. Loading the other files again."
        )
        quarantined.append(moved)


def quarantine_file(settings: Settings, named_path: str, reason: str) -> QuarantinedFile:
    """Move an unreadable lake file to <lake>/quarantine/ (same relative path) and record it."""
    path = Path(named_path)
    if not path.is_absolute():  # relative to the folder dbt ran in
        path = settings.dbt_dir / path
    lake = settings.lake_dir.resolve()
    path = path.resolve()
    if not path.is_relative_to(lake) or path.is_relative_to(lake / QUARANTINE_DIR) or not path.is_file():
        raise PipelineError(f"the load cannot read {named_path} ({reason}), and it is not a file of the lake {lake}")
    source_file = path.relative_to(lake).as_posix()
    target = lake / QUARANTINE_DIR / source_file
    target.parent.mkdir(parents=True, exist_ok=True)
    readable = complete_lines(path)
    os.replace(path, target)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(QUARANTINED_FILES_DDL)
        # A file delivered again under the same name replaces its record: a re-run counts it once.
        con.execute(
            "insert or replace into raw.quarantined_files values (?, ?, ?, ?, current_timestamp)",
            [source_file, target.relative_to(lake).as_posix(), reason, readable],
        )
    return QuarantinedFile(source_file, target, reason, readable)


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
