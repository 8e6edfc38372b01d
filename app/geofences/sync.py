"""Keeps a process's GeofenceEngine in step with PostgreSQL.

The same scheme as app/placements/sync.py: writers commit, refresh their own engine, then poke
the other processes on a Redis channel; every process reads the changed rows from PostgreSQL
(never from the message), so a lost or duplicated poke costs only latency, and a periodic
poll covers Redis being down.
"""

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.geofences.engine import GeofenceEngine
from app.geofences.queries import FenceRow, fence_changes_since, stream_live_fences

log = logging.getLogger("cyberspace.geofences.sync")


class GeofenceSync:
    def __init__(
        self,
        *,
        engine: GeofenceEngine,
        session_factory: async_sessionmaker[AsyncSession],
        redis: Redis,
        channel: str,
        poll_seconds: float,
    ) -> None:
        self.engine = engine
        self._session_factory = session_factory
        self._redis = redis
        self._channel = channel
        self._poll_seconds = poll_seconds
        self._lock = asyncio.Lock()

    async def refresh(self) -> int:
        """Apply every committed change since the last refresh; returns how many rows."""
        async with self._lock:
            if not self.engine.loaded:
                return await self._load()
            async with self._session_factory() as session:
                rows, next_low_xid = await fence_changes_since(session, self.engine.low_xid)
            # Parsing and indexing happen outside the session, so its connection goes back.
            self.engine.apply(rows)
            self.engine.low_xid = next_low_xid
            return len(rows)

    async def _load(self) -> int:
        """The start-up load: rows streamed and parsed in chunks, then swapped in at once."""
        loader = self.engine.loader()
        count = 0

        def on_chunk(rows: list[FenceRow]) -> None:
            nonlocal count
            count += len(rows)
            loader.add(rows)

        async with self._session_factory() as session:
            next_low_xid = await stream_live_fences(session, on_chunk)
        loader.finish()
        self.engine.low_xid = next_low_xid
        return count

    async def changed(self) -> None:
        """Called by writers after commit: refresh here, then tell the other processes."""
        await self.refresh()
        try:
            await self._redis.publish(self._channel, b"changed")
        except RedisError:
            log.warning("could not publish geofence change; other processes will poll")

    async def run(self) -> None:
        """Follow changes until cancelled."""
        while True:
            try:
                await self._follow_channel()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("geofence change channel unavailable; polling", exc_info=True)
                await asyncio.sleep(self._poll_seconds)
                await self._refresh_logged()

    async def _follow_channel(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._channel)
            # Catch up on anything written while we were not subscribed.
            await self._refresh_logged()
            while True:
                await pubsub.get_message(timeout=self._poll_seconds)
                await self._refresh_logged()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _refresh_logged(self) -> None:
        try:
            await self.refresh()
        except Exception:
            log.warning("geofence engine refresh failed", exc_info=True)
