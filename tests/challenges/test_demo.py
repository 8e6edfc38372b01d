"""The demo challenge seed is idempotent."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.settings import Settings
from scripts.demo.locations_challenges import seed
from tests.factories import make_user
from tests.locations.fixtures import AppFactory, headers_for
from tests.locations.helpers import create_fence, square


async def test_demo_challenge_seed(
    app_factory: AppFactory, session: AsyncSession, test_settings: Settings
) -> None:
    assert "skipped" in await seed(session, test_settings)
    organizer = await make_user(session, username="DemoOrganizer", roles=("player", "organizer"))
    await session.commit()
    assert "no geofences" in await seed(session, test_settings)
    async with app_factory() as (_, client):
        org = await headers_for(client, organizer)
        for i in range(4):
            await create_fence(client, org, square(400 * i, 0, 100), name=f"CP{i}")
    assert "3 geofences: added" in await seed(session, test_settings)
    assert "already there" in await seed(session, test_settings)
