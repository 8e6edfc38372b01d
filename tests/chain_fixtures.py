"""Chain fixtures for the NFT-facing test directories (nfts, claims, trading, gql).

Import them into a directory's conftest.py. One embedded chain (eth-tester) per directory
and session, attached to each test's app: deploying takes about a second. Each test's
database transaction is rolled back, so its index starts empty and re-reads the shared
chain; tests mint their own tokens and register their own NFT ids.
"""

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI

from app.chain import ChainClient, embedded_players
from app.nfts.component import NftComponent
from app.resources import Resources
from app.settings import Settings


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_chain() -> AsyncIterator[ChainClient]:
    client = ChainClient.from_settings(Settings(environment="test", log_level="WARNING"))
    await client.setup()
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def players() -> list[LocalAccount]:
    return embedded_players()


@pytest.fixture
def nfts(app: FastAPI, shared_chain: ChainClient) -> NftComponent:
    component: NftComponent = app.state.resources.component(NftComponent)
    component.attach_chain(shared_chain)
    return component


@pytest.fixture
def resources(app: FastAPI) -> Resources:
    found: Resources = app.state.resources
    return found
