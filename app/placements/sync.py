"""Keeps a process's PlacementIndex in step with PostgreSQL.

Writers commit, then poke the other processes through a Redis channel; every process then
reads the changed rows from PostgreSQL (never from the message), so a lost or duplicated
message costs nothing but latency. A periodic poll covers Redis being down.
"""

import asyncio

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.change_follower import ChangeFollower
from app.placements.index import PlacementIndex
from app.placements.queries import placement_changes_since


class PlacementIndexSync(ChangeFollower):
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
        super().__init__(
            redis=redis, channel=channel, poll_seconds=poll_seconds, what="placement index"
        )
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
