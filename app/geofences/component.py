"""The geofences component (see app/core/components.py): the engine and its sync."""

import asyncio
import logging
import time
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
        tasks = [self.sync.run()]
        if self.resources.settings.geofence_raster_warmup_batch > 0:
            tasks.append(self.warm_rasters())
        return tasks

    async def warm_rasters(self) -> None:
        """Make every fence's raster in small steps between other work (see FenceIndex.warm);
        after that, look for new fences every poll interval."""
        settings = self.resources.settings
        batch = settings.geofence_raster_warmup_batch
        while True:
            started, made = time.monotonic(), 0
            while self.engine.loaded and (step := self.engine.index.warm(batch)):
                made += step
                # A short pause, not just a yield: warming must not take the whole loop.
                await asyncio.sleep(0.002)
            if made:
                log.info(
                    "geofence rasters made",
                    extra={"rasters": made, "seconds": round(time.monotonic() - started, 1)},
                )
            await asyncio.sleep(settings.geofence_index_poll_seconds)

    async def aclose(self) -> None:
        return None


def build(resources: Resources) -> Component:
    return GeofenceComponent(resources)
