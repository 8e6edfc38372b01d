"""Garbage-collector settings for a long-running server process.

After start-up the heap holds hundreds of thousands of long-lived objects (modules, ORM
metadata, compiled SQL caches, indexes). Python's cyclic collector traverses all of them on
every full collection, and young collections run every 700 allocations by default: under
load (thousands of location updates a second, each allocating a few hundred short-lived
objects) a profile of the real-time server showed about a quarter of its CPU in collections.
`gc.freeze()` moves everything alive at the end of start-up into a permanent generation the
collector no longer scans, and a larger young-generation threshold makes young collections
rarer (each then frees a larger batch of garbage; the work per object stays the same).
Reference counting still frees acyclic garbage at once; only cycles wait longer.
"""

import gc
import time
from typing import Any

from prometheus_client import Histogram

GC_PAUSE = Histogram(
    "cyberspace_gc_pause_seconds",
    "Time the process spent in one cyclic garbage collection, by generation",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
)
_started: list[float] = [0.0]


def _time_collections(phase: str, info: dict[str, Any]) -> None:
    # Every collection stops the whole event loop: its pauses are part of every latency.
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        GC_PAUSE.labels(str(info["generation"])).observe(time.perf_counter() - _started[0])


def settle_after_start(gen0_threshold: int) -> None:
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
    if _time_collections not in gc.callbacks:
        gc.callbacks.append(_time_collections)
