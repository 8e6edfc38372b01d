"""Proximity alerts for the fixes this process ingested from its own sockets, computed here.

Location fixes ingested over REST reach the alert logic through the event stream
(`_location_accepted`, app/realtime/fanout.py), like every other event. Socket.IO fixes
skip it: the process that ingested them is the one their player is connected to, so it
applies them to the alert state and emits the alerts itself, without the XADD, the
consumer group's read and the XACK in between — three Redis round trips, each a turn of a
busy event loop, on the path from a location update to its alert.

The alert state stays in Redis and is applied atomically per fix (app/realtime/positions.py),
so it does not matter which process applies a player's fixes, and a fix applied twice alerts
once. What the stream's pending list gave and this does not: a fix whose alerts could not be
applied because Redis was unreachable is not retried (its alerts are dropped and counted);
the next fix of that player brings the state up to date.
"""

import asyncio
import logging
import time
from typing import Any

from redis.exceptions import RedisError

from app.realtime.fanout import StreamFanout
from app.realtime.metrics import LOCAL_FIXES_DROPPED, LOCAL_PROXIMITY_LAG

log = logging.getLogger("cyberspace.realtime")

Fix = dict[str, Any]


class LocalProximity:
    def __init__(self, fanout: StreamFanout) -> None:
        self._fanout = fanout
        self._pending: list[Fix] = []
        self._oldest = 0.0  # when the first of the pending fixes was queued (monotonic)
        self._ready = asyncio.Event()

    def put(self, fixes: list[Fix]) -> None:
        """Queue accepted fixes (after their transaction committed); never blocks."""
        if fixes:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.extend(fixes)
            self._ready.set()

    async def run(self) -> None:
        """Apply whatever has queued up since the last pass, in one pass (forever)."""
        while True:
            await self._ready.wait()
            self._ready.clear()
            fixes, self._pending, oldest = self._pending, [], self._oldest
            await self.apply(fixes)
            LOCAL_PROXIMITY_LAG.observe(time.monotonic() - oldest)

    async def apply(self, fixes: list[Fix]) -> None:
        try:
            await self._fanout.on_locations(fixes)
            await self._fanout.send_queued()
        except (RedisError, OSError) as exc:
            LOCAL_FIXES_DROPPED.inc(len(fixes))
            log.warning("proximity alerts of %d fixes dropped: %r", len(fixes), exc)
        except Exception:  # the loop must outlive any one batch
            LOCAL_FIXES_DROPPED.inc(len(fixes))
            log.exception("proximity alerts of %d fixes failed", len(fixes))
