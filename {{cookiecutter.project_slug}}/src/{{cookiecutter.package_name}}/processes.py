"""Run one function over many jobs in parallel processes: the bench's delivery streams, the grader's submissions."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable, Iterable, Iterator


def map_in_processes(function: Callable, items: Iterable, workers: int) -> Iterator:
    """`map(function, items)` in up to `workers` processes; results in the order of `items`.

    In this process when there is one worker or one item. Otherwise spawned, not forked:
    a fresh interpreter inherits no open DuckDB file or thread from its parent. And not
    multiprocessing.Pool: when one of its workers dies, its map waits forever, where this
    executor raises BrokenProcessPool.
    """
    items = list(items)
    workers = min(workers, len(items))
    if workers <= 1:
        yield from map(function, items)
        return
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(function, items)
