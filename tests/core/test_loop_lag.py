"""The event-loop lag sleeper records how late the loop woke it."""

import asyncio
import contextlib
import time

from app.core.loop_lag import EVENT_LOOP_LAG, watch_loop_lag


def _observed() -> tuple[float, float]:
    count = total = 0.0
    for metric in EVENT_LOOP_LAG.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                count = sample.value
            elif sample.name.endswith("_sum"):
                total = sample.value
    return count, total


async def test_a_blocked_loop_shows_up_as_lag() -> None:
    count_before, sum_before = _observed()
    watcher = asyncio.create_task(watch_loop_lag(0.01))
    await asyncio.sleep(0.05)
    time.sleep(0.2)  # noqa: ASYNC251  # the point: synchronous work holding the loop
    await asyncio.sleep(0.05)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    count_after, sum_after = _observed()
    assert count_after - count_before >= 3
    assert sum_after - sum_before >= 0.15  # the blocked stretch, less one interval
