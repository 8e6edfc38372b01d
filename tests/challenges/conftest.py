from collections.abc import AsyncIterator

import pytest_asyncio

from app.chain import ChainClient
from app.settings import Settings
from tests.locations.fixtures import app_factory, organizer, player

__all__ = ["app_factory", "organizer", "player", "reward_chain"]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def reward_chain() -> AsyncIterator[ChainClient]:
    """One embedded chain for the reward tests (opening one costs about a second)."""
    client = ChainClient.from_settings(Settings(environment="test", log_level="WARNING"))
    await client.setup()
    yield client
    await client.aclose()
