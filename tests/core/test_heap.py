"""Garbage-collection pauses are timed per generation (app/core/heap.py)."""

import gc

from app.core.heap import GC_PAUSE, _time_collections


def _count(generation: int) -> float:
    for metric in GC_PAUSE.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels == {"generation": str(generation)}:
                return sample.value
    return 0.0


def test_each_collection_is_observed_under_its_generation() -> None:
    before = _count(1)
    # An app started earlier in this process may have registered the callback already.
    ours = _time_collections not in gc.callbacks
    if ours:
        gc.callbacks.append(_time_collections)
    try:
        gc.collect(1)
    finally:
        if ours:
            gc.callbacks.remove(_time_collections)
    assert _count(1) == before + 1
