"""Benchmarks: figures (events/s, seconds, peak memory) and ratios, never pass/fail.

generator.py measures a window of days through every step (generator, lake,
load, dbt build); warehouse.py measures the warehouse at scale (make bench
EVENTS=10M); measure.py holds the timers and memory probes both use.
"""
