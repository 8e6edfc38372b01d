"""The locations component: re-evaluates players inside fences that changed, and sweeps for
dwells that are due without an update (app/locations/dwell_sweep.py).

The geofence engine calls back (synchronously, in every process) after it applied fence
changes; the callback only records the fence ids, and the background task (or a test,
through `process_fence_changes`) does the database work. A change seen by several processes
is re-evaluated by each, harmlessly: the player lock and the stored state make the second
pass a no-op.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from app.core.components import Component
from app.geofences.component import GeofenceComponent
from app.geofences.engine import FenceChange
from app.locations import dwell_sweep, service
from app.resources import Resources

log = logging.getLogger("cyberspace.locations")


class LocationComponent:
    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self._pending: set[uuid.UUID] = set()
        self._wake = asyncio.Event()
        self._unsubscribe: Callable[[], None] | None = None

    async def start(self) -> None:
        engine = self.resources.component(GeofenceComponent).engine
        self._unsubscribe = engine.subscribe(self._on_changes)

    def _on_changes(self, changes: list[FenceChange]) -> None:
        # Shape edits and deletions can put players outside; metadata edits (e.g. the active
        # window) too. New fences cannot: players enter them on their next fix.
        for change in changes:
            if change.kind != "created":
                self._pending.add(change.fence_id)
        if self._pending:
            self._wake.set()

    async def process_fence_changes(self) -> int:
        """Re-evaluate players inside the fences changed since the last call; returns the
        number of events."""
        fence_ids, self._pending = self._pending, set()
        self._wake.clear()
        if not fence_ids:
            return 0
        async with self.resources.session_factory() as session:
            return await service.reevaluate_players(
                resources=self.resources, session=session, fence_ids=fence_ids
            )

    async def _follow(self) -> None:
        while True:
            await self._wake.wait()
            try:
                await self.process_fence_changes()
            except Exception:
                log.exception("re-evaluating players after fence changes failed")
                await asyncio.sleep(1.0)

    async def sweep_dwells(self) -> int:
        async with self.resources.session_factory() as session:
            return await dwell_sweep.sweep_dwells(resources=self.resources, session=session)

    async def _sweep(self) -> None:
        interval = self.resources.settings.location_dwell_sweep_seconds
        while interval > 0:
            await asyncio.sleep(interval)
            try:
                await self.sweep_dwells()
            except Exception:
                log.exception("dwell sweep failed")

    def background(self) -> list[Coroutine[Any, Any, None]]:
        return [self._follow(), self._sweep()]

    async def aclose(self) -> None:
        if self._unsubscribe is not None:
            with contextlib.suppress(Exception):
                self._unsubscribe()


def build(resources: Resources) -> Component:
    return LocationComponent(resources)
