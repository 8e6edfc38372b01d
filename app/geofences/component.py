"""The geofences component (see app/core/components.py): the engine and its sync."""

import logging
from collections.abc import Coroutine
from typing import Any

from app.core.components import Component
from app.geofences.engine import GeofenceEngine
from app.geofences.sync import GeofenceSync
from app.resources import Resources

log = logging.getLogger("cyberspace.geofences")


class GeofenceComponent:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        settings = resources.settings
        self.engine = GeofenceEngine()
        self.sync = GeofenceSync(
            engine=self.engine,
            session_factory=resources.session_factory,
            redis=resources.redis,
            channel=f"{settings.redis_channel_prefix}:geofences:changed",
            poll_seconds=settings.geofence_index_poll_seconds,
        )

    async def start(self) -> None:
        try:
            await self.sync.refresh()
            log.info("geofence engine loaded", extra={"geofences": len(self.engine)})
        except Exception:
            # The sync task retries; the API answers from the database meanwhile.
            log.warning("geofence engine not loaded at start; will retry", exc_info=True)

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self.sync.run()]

    async def aclose(self) -> None:
        return None


def build(resources: Resources) -> Component:
    return GeofenceComponent(resources)
