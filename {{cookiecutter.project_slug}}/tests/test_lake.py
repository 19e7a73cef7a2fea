"""The local lake: Firehose's layout, buffering and whole-file delivery."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from {{ cookiecutter.package_name }}.bench.measure import same_files
from {{ cookiecutter.package_name }}.ingest import backfill
from {{ cookiecutter.package_name }}.ingest.generator import generate_events, iter_event_lines
from {{ cookiecutter.package_name }}.ingest.lake import LocalLakeSink, list_lake_files

from conftest import make_settings

FILE_NAME = re.compile(r"raw-events-delivery-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-\d{2}-\d{2}-[0-9a-f-]{36}\.json\.gz")
MOMENT = datetime(2025, 10, 1, 10, 58, tzinfo=UTC)


def read_lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def test_files_land_in_hourly_partitions_named_as_firehose_names_them(tmp_path):
    events = generate_events(42, datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 10, 2, tzinfo=UTC))
    with LocalLakeSink(tmp_path, buffer_seconds=300) as sink:
        for event in events:
            sink.put(event)
    files = list_lake_files(tmp_path)
    assert files == sorted(sink.files_written)
    assert sink.records_written == len(events)
    lines = []
    for path in files:
        relative = path.relative_to(tmp_path).parts
        assert relative[0] == "raw-events" and len(relative) == 6
        year, month, day, hour = relative[1:5]
        match = FILE_NAME.fullmatch(relative[5])
        assert match and match.groups() == (year, month, day, hour)
        file_lines = read_lines(path)
        first = datetime.fromisoformat(json.loads(file_lines[0])["event_timestamp"].replace("Z", "+00:00"))
        last = datetime.fromisoformat(json.loads(file_lines[-1])["event_timestamp"].replace("Z", "+00:00"))
        assert first.strftime("%Y/%m/%d/%H") == "/".join(relative[1:5])  # the oldest record's hour
        assert last - first < timedelta(seconds=300)  # the time buffer closed in time
        lines += file_lines
    assert lines == [event.to_json() for event in events]


def test_the_size_buffer_splits_a_burst_into_files_of_about_the_limit(tmp_path):
    record = json.dumps({"pad": "x" * 1000})
    with LocalLakeSink(tmp_path, buffer_bytes=1024 * 1024, buffer_seconds=900) as sink:
        for n in range(3000):  # ~3 MB within 5 minutes: the size limit closes each file
            sink.put_line(record, MOMENT + timedelta(milliseconds=100 * n))
    sizes = [sum(len(line) + 1 for line in read_lines(path)) for path in sink.files_written]
    assert len(sizes) == 3
    assert all(size >= 1024 * 1024 for size in sizes[:-1])
    assert sum(sizes) == 3000 * (len(record) + 1)


def test_the_time_buffer_flushes_on_the_first_record_past_the_interval(tmp_path):
    sink = LocalLakeSink(tmp_path, buffer_seconds=300)
    sink.put_line('{"n": 1}', MOMENT)
    sink.put_line('{"n": 2}', MOMENT + timedelta(seconds=299))
    assert sink.files_written == []
    sink.put_line('{"n": 3}', MOMENT + timedelta(seconds=300))
    assert len(sink.files_written) == 1 and read_lines(sink.files_written[0]) == ['{"n": 1}', '{"n": 2}']
    sink.flush()
    assert read_lines(sink.files_written[1]) == ['{"n": 3}']


def test_the_same_records_give_the_same_file_name_and_bytes(tmp_path):
    paths = []
    for folder in ("a", "b"):
        with LocalLakeSink(tmp_path / folder) as sink:
            sink.put_line('{"n": 1}', MOMENT)
        paths.append(sink.files_written[0])
    assert paths[0].name == paths[1].name
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_a_file_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    sink = LocalLakeSink(tmp_path)
    sink.put_line('{"n": 1}', MOMENT)

    def interrupted(*args):
        raise KeyboardInterrupt  # Ctrl-C between writing the temporary file and renaming it

    monkeypatch.setattr("{{ cookiecutter.package_name }}.ingest.lake.os.replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sink.flush()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no half file, no temporary left


def test_buffering_hints_outside_firehose_limits_are_refused(tmp_path):
    with pytest.raises(ValueError, match="buffer_seconds"):
        LocalLakeSink(tmp_path, buffer_seconds=3600)
    with pytest.raises(ValueError, match="buffer_bytes"):
        LocalLakeSink(tmp_path, buffer_bytes=1000)


def test_records_in_batches_give_the_same_files_as_one_by_one(tmp_path):
    start, end = datetime(2025, 10, 3, tzinfo=UTC), datetime(2025, 10, 4, 12, tzinfo=UTC)
    with LocalLakeSink(tmp_path / "batches", buffer_seconds=120) as batches:
        for batch in iter_event_lines(42, start, end):
            batches.put_records(batch)
    with LocalLakeSink(tmp_path / "single", buffer_seconds=120) as single:
        for event in generate_events(42, start, end):
            single.put_line(event.to_json(), event.timestamp)
    assert batches.records_written == single.records_written > 0
    assert same_files(tmp_path / "batches", tmp_path / "single")


def test_the_size_limit_counts_utf8_bytes(tmp_path):
    record = json.dumps({"name": "Müller" * 100}, ensure_ascii=False)  # 6 characters, 7 bytes each time
    size = len(record.encode()) + 1
    with LocalLakeSink(tmp_path, buffer_bytes=1024 * 1024, buffer_seconds=900) as sink:
        sink.put_records([(1_759_316_280_000 + n, f"{n:08d}", record) for n in range(2000)])
    per_file = [len(gzip.decompress(path.read_bytes())) for path in sink.files_written]
    assert per_file[0] == -(-1024 * 1024 // size) * size  # the record that reaches 1 MiB closes the file
    assert sum(per_file) == 2000 * size


def test_files_are_plain_gzip_with_a_fixed_header(tmp_path):
    with LocalLakeSink(tmp_path) as sink:
        sink.put_line('{"n": 1}', MOMENT)
    data = sink.files_written[0].read_bytes()
    assert data[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0
    assert gzip.decompress(data) == b'{"n": 1}\n'


def test_parallel_cuts_fall_at_a_quiet_hour():
    start, end = datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    cuts = backfill.plan_cuts(start, end, 2)
    assert cuts == sorted(cuts) and start < cuts[0] and cuts[-1] < end
    assert len(cuts) + 1 >= 4 and all(b - a <= timedelta(days=8) for a, b in pairwise([start, *cuts, end]))
    assert all(cut.hour == backfill.QUIET_HOUR and cut.minute == 0 for cut in cuts)


@pytest.mark.parametrize("buffer_seconds", [900, 60, 0])
def test_parallel_generation_writes_the_serial_files(tmp_path, buffer_seconds):
    start, end = datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 10, 5, 7, tzinfo=UTC)
    serial = make_settings(tmp_path / "serial", lake_buffer_seconds=buffer_seconds)
    parallel = dataclasses.replace(serial, lake_dir=tmp_path / "parallel" / "lake")
    expected = backfill.generate_to_lake(serial, start, end)
    assert backfill.generate_to_lake(parallel, start, end, workers=2) == expected
    assert same_files(serial.lake_dir, parallel.lake_dir)
    assert not list(parallel.lake_dir.rglob("*.tmp"))


def test_parallel_chunks_cut_anywhere_still_write_the_serial_files(tmp_path, monkeypatch):
    # Busy cuts (the gap comes hours later), cuts in one quiet stretch, a cut past the last gap.
    start, end = datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 10, 4, tzinfo=UTC)
    cuts = [
        datetime(2025, 10, 1, 19, 7, tzinfo=UTC),
        datetime(2025, 10, 2, 2, 0, tzinfo=UTC),
        datetime(2025, 10, 2, 2, 1, tzinfo=UTC),
        datetime(2025, 10, 2, 12, 30, tzinfo=UTC),
        datetime(2025, 10, 3, 23, 59, tzinfo=UTC),
    ]
    monkeypatch.setattr(backfill, "plan_cuts", lambda *_: cuts)
    serial = make_settings(tmp_path / "serial")
    parallel = dataclasses.replace(serial, lake_dir=tmp_path / "parallel" / "lake")
    expected = backfill.generate_to_lake(serial, start, end)
    assert backfill.generate_to_lake(parallel, start, end, workers=3) == expected
    assert same_files(serial.lake_dir, parallel.lake_dir)
