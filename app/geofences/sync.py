"""Keeps a process's GeofenceEngine in step with PostgreSQL (the scheme of
app/core/change_follower.py); the first refresh streams every live fence in chunks."""

import asyncio

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.change_follower import ChangeFollower
from app.geofences.engine import GeofenceEngine
from app.geofences.queries import FenceRow, fence_changes_since, stream_live_fences


class GeofenceSync(ChangeFollower):
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
        super().__init__(
            redis=redis, channel=channel, poll_seconds=poll_seconds, what="geofence engine"
        )
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
