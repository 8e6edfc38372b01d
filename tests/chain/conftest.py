"""A real embedded chain (eth-tester on py-evm) with both contracts deployed, shared by the
chain tests: deploying takes a few hundred milliseconds, so it is done once per session and
tests keep out of each other's way by using their own players and token ids."""

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from eth_account.signers.local import LocalAccount

from app.chain import ChainClient, embedded_players
from app.settings import Settings


@pytest.fixture(scope="session")
def chain_settings() -> Settings:
    return Settings(environment="test", log_level="WARNING")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chain(chain_settings: Settings) -> AsyncIterator[ChainClient]:
    client = ChainClient.from_settings(chain_settings)
    await client.setup()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def players() -> list[LocalAccount]:
    return embedded_players()
