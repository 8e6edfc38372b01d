"""Keeps a process's PlacementIndex in step with PostgreSQL.

Writers commit, then poke the other processes through a Redis channel; every process then
reads the changed rows from PostgreSQL (never from the message), so a lost or duplicated
message costs nothing but latency. A periodic poll covers Redis being down.
"""

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.placements.index import PlacementIndex
from app.placements.queries import placement_changes_since

log = logging.getLogger("cyberspace.placements.sync")


class PlacementIndexSync:
    def __init__(
        self,
        *,
        index: PlacementIndex,
        session_factory: async_sessionmaker[AsyncSession],
        redis: Redis,
        channel: str,
        poll_seconds: float,
    ) -> None:
        self.index = index
        self._session_factory = session_factory
        self._redis = redis
        self._channel = channel
        self._poll_seconds = poll_seconds
        self._lock = asyncio.Lock()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def refresh(self) -> int:
        """Apply every committed change since the last refresh; returns how many rows."""
        async with self._lock, self._session_factory() as session:
            rows, next_low_xid = await placement_changes_since(session, self.index.low_xid)
            if self._loaded:
                self.index.apply(rows)
            else:
                self.index.load(rows)
                self._loaded = True
            self.index.low_xid = next_low_xid
            return len(rows)

    async def changed(self) -> None:
        """Called by writers after commit: refresh here, then tell the other processes."""
        await self.refresh()
        try:
            await self._redis.publish(self._channel, b"changed")
        except RedisError:
            log.warning("could not publish placement change; other processes will poll")

    async def run(self) -> None:
        """Follow changes until cancelled."""
        while True:
            try:
                await self._follow_channel()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("placement change channel unavailable; polling", exc_info=True)
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
            log.warning("placement index refresh failed", exc_info=True)
