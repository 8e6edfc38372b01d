"""The demo seed adds DemoOrganizer's fences once, and the engine sees them."""

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.geofences.component import GeofenceComponent
from app.settings import Settings
from scripts.demo import geofences as demo
from tests.factories import make_user


async def test_seed_is_idempotent(
    app: FastAPI, session: AsyncSession, test_settings: Settings
) -> None:
    assert "skipped" in await demo.seed(session, test_settings)
    await make_user(session, username="DemoOrganizer", roles=("organizer",))
    assert "4 added" in await demo.seed(session, test_settings)
    assert "0 added" in await demo.seed(session, test_settings)
    component = app.state.resources.component(GeofenceComponent)
    await component.sync.refresh()
    names = {component.engine.get(f).name for f in component.engine.containing(48.1371, 11.5754)}
    assert names == {"Checkpoint 1 Marienplatz", "Old town"}
