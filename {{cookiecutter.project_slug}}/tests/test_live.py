"""Live mode: windows delivered on the clock, and Ctrl-C leaving only whole files."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from {{ cookiecutter.package_name }}.ingest.delivery import DeliveryPolicy
from {{ cookiecutter.package_name }}.ingest.generator import generate_events
from {{ cookiecutter.package_name }}.ingest.lake import list_lake_files
from {{ cookiecutter.package_name }}.ingest.live import run_live

from conftest import PROJECT_DIR

RUN_CLI = "from {{ cookiecutter.package_name }}.cli import run; run()"


def test_each_window_is_delivered_when_it_ends(tmp_path):
    now = [datetime(2025, 10, 4, 19, 0, 3, tzinfo=UTC)]
    reports = []

    def sleep(seconds):
        now[0] += timedelta(seconds=seconds)

    delivered = run_live(
        42,
        tmp_path,
        timedelta(minutes=5),
        DeliveryPolicy(),
        lambda start, end, lake: reports.append((start, end, lake.records_written, now[0])),
        windows=3,
        clock=lambda: now[0],
        sleep=sleep,
    )

    assert delivered == 3
    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e, _, _ in reports] == [
        ("19:00", "19:05"),
        ("19:05", "19:10"),
        ("19:10", "19:15"),
    ]
    assert all(at >= end for _, end, _, at in reports)  # never ahead of the clock
    lines = []
    for path in list_lake_files(tmp_path):
        lines += gzip.decompress(path.read_bytes()).decode().splitlines()
    expected = generate_events(42, datetime(2025, 10, 4, 19, 0, tzinfo=UTC), datetime(2025, 10, 4, 19, 15, tzinfo=UTC))
    assert sorted(lines) == sorted(e.to_json() for e in expected)
    assert sum(count for _, _, count, _ in reports) == len(expected)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# A non-interactive shell starts background jobs (`make test &`, some CI runners) with SIGINT
# ignored, and a Python started so keeps ignoring it unless the command installs its own handler.
@pytest.mark.parametrize("inherited_sigint", ["default", "ignored"])
def test_ctrl_c_stops_cleanly_with_only_whole_files(tmp_path, inherited_sigint):
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "live", "--speed", "600"],
        cwd=PROJECT_DIR,
        env={**os.environ, "LAKE_DIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint if inherited_sigint == "ignored" else None,
    )
    try:
        deadline = time.monotonic() + 60
        while not list_lake_files(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)  # once, as a learner presses Ctrl-C once
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()  # a no-op when it stopped; otherwise the failed test leaves no process behind

    assert process.returncode == 0, stderr
    assert "Stopped. Every file in the lake is whole." in stdout
    assert "Traceback" not in stderr
    files = list_lake_files(tmp_path)
    assert files
    for path in files:
        gzip.decompress(path.read_bytes())  # each one complete
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
