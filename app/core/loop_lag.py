"""How late the event loop runs what is due: the wait every coroutine of this process pays
on each await, on top of its own work.

One process serves thousands of sockets on one event loop, so a long stretch of synchronous
work anywhere (a big batch, a slow query's result parsing) delays every other client's next
step. A sleeper that asks to wake every `interval` seconds measures how much later it does.
"""

import asyncio
import time

from prometheus_client import Histogram

EVENT_LOOP_LAG = Histogram(
    "cyberspace_event_loop_lag_seconds",
    "How much later than asked the event loop woke a periodic sleeper",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


async def watch_loop_lag(interval: float) -> None:
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(interval)
        EVENT_LOOP_LAG.observe(max(0.0, time.perf_counter() - asked - interval))
