"""The local lake: Firehose's layout, buffering and whole-file delivery."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from {{ cookiecutter.package_name }}.generator import generate_events
from {{ cookiecutter.package_name }}.lake import LocalLakeSink, list_lake_files

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

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr("{{ cookiecutter.package_name }}.lake.os.replace", crash)
    with pytest.raises(OSError):
        sink.flush()
    assert list_lake_files(tmp_path) == []  # only the hidden temporary file exists
    assert [p.name.startswith(".") for p in tmp_path.rglob("*.tmp")] == [True]


def test_buffering_hints_outside_firehose_limits_are_refused(tmp_path):
    with pytest.raises(ValueError, match="buffer_seconds"):
        LocalLakeSink(tmp_path, buffer_seconds=3600)
    with pytest.raises(ValueError, match="buffer_bytes"):
        LocalLakeSink(tmp_path, buffer_bytes=1000)
