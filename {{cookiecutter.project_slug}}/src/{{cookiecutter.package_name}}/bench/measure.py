"""Timers, memory probes and parsing shared by the benchmarks."""

from __future__ import annotations

import dataclasses
import filecmp
import os
import re
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from ..errors import PipelineError
from ..ingest.lake import list_lake_files

BENCH_DIR = Path("data") / "bench"  # under the project folder
BENCH_FORMAT = 2  # bump when a key changes meaning (2: the hour's tests read only the rows it touched)


@dataclasses.dataclass(frozen=True)
class Timing:
    seconds: float
    user_seconds: float  # CPU time of this process (children excluded)
    system_seconds: float  # of which in the kernel: mostly the file system
    result: object
    # CPU time of the child processes the step waited for (dbt): on a busy machine, a
    # figure that other work does not inflate, unlike the wall time.
    children_cpu_seconds: float = 0.0

    @property
    def cpu_seconds(self) -> float:
        """CPU time of the step in this process and its children."""
        return self.user_seconds + self.system_seconds + self.children_cpu_seconds


def timed(step: Callable[[], object]) -> Timing:
    before, started = os.times(), time.perf_counter()
    result = step()
    seconds, after = time.perf_counter() - started, os.times()
    children = after.children_user + after.children_system - before.children_user - before.children_system
    return Timing(seconds, after.user - before.user, after.system - before.system, result, children)


def best_of(step: Callable[[int], object], repeat: int) -> Timing:
    """The fastest of `repeat` runs; `step` gets the run number."""
    return min((timed(lambda number=number: step(number)) for number in range(repeat)), key=lambda t: t.seconds)


def peak_rss_mib(who: int) -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def peak_heap_mib(step: Callable[[], object]) -> float:
    """The largest Python heap (tracemalloc) a step needs on top of what is allocated before it."""
    tracemalloc.start()
    try:
        step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024 / 1024


def same_files(left: Path, right: Path) -> bool:
    """Whether two lakes hold the same files, byte for byte, under the same names."""
    names = [path.relative_to(left) for path in list_lake_files(left)]
    if names != [path.relative_to(right) for path in list_lake_files(right)]:
        return False
    return all(filecmp.cmp(left / name, right / name, shallow=False) for name in names)


def default_workers() -> int:
    # At least 2, so that the parallel path is measured (and checked) on any machine.
    return max(2, min(os.cpu_count() or 1, 4))


def parse_count(text: str) -> int:
    """'10M' -> 10,000,000; '250k' -> 250,000; '12345' -> 12,345."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise PipelineError(f"EVENTS must be a count such as 10M, 500k or 20000, got {text!r}")
    number, unit = float(match.group(1)), match.group(2).lower()
    count = int(number * {"": 1, "k": 1_000, "m": 1_000_000}[unit])
    if count < 1:
        raise PipelineError(f"EVENTS must be at least 1, got {text!r}")
    return count
