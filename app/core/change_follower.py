"""Keeps an in-memory read model in step with PostgreSQL across processes.

Writers commit, refresh their own process, then poke the other processes on a Redis channel;
every process reads the changed rows from PostgreSQL (never from the message), so a lost or
duplicated poke costs only latency, and a periodic poll covers Redis being down. Subclasses
say how to `refresh()` (apply every committed change since the last one).
"""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

from redis.asyncio import Redis
from redis.exceptions import RedisError


class ChangeFollower(ABC):
    def __init__(self, *, redis: Redis, channel: str, poll_seconds: float, what: str) -> None:
        self._redis = redis
        self._channel = channel
        self._poll_seconds = poll_seconds
        self._what = what  # for log lines: "placement index", "geofence engine"
        self._log = logging.getLogger(f"cyberspace.sync.{what.replace(' ', '_')}")

    @abstractmethod
    async def refresh(self) -> int:
        """Apply every committed change since the last refresh; returns how many rows."""

    async def changed(self) -> None:
        """Called by writers after commit: refresh here, then tell the other processes."""
        await self.refresh()
        try:
            await self._redis.publish(self._channel, b"changed")
        except RedisError:
            self._log.warning("could not publish %s change; others will poll", self._what)

    async def run(self) -> None:
        """Follow changes until cancelled."""
        while True:
            try:
                await self._follow_channel()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._log.warning("%s change channel unavailable; polling", self._what)
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
            self._log.warning("%s refresh failed", self._what, exc_info=True)
