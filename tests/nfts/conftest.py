"""NFT fixtures: one embedded chain shared by the app instances of this directory's tests.

Opening eth-tester and deploying takes about a second, so the route tests attach one shared,
session-wide chain to each test's app (`NftComponent.attach_chain`). Each test's database
transaction is rolled back, so its index starts empty and re-reads the shared chain from
block 0; tests register their own NFT ids for the tokens they mint. Tests that rewrite the
chain's history (re-orgs, restarts) open their own chain instead (`fresh_chain`).
"""

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from eth_account.signers.local import LocalAccount
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import ChainClient, Standard
from app.nfts import service
from app.nfts.models import NftStandard
from app.settings import Settings
from app.users.models import User, Wallet
from tests.chain_fixtures import nfts, players, shared_chain
from tests.factories import make_user

__all__ = ["nfts", "players", "shared_chain"]


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_chain() -> AsyncIterator[ChainClient]:
    client = ChainClient.from_settings(Settings(environment="test", log_level="WARNING"))
    await client.setup()
    yield client
    await client.aclose()


async def link_wallet(session: AsyncSession, user: User, account: LocalAccount) -> None:
    session.add(Wallet(address=account.address.lower(), user_id=user.id))
    await session.flush()


async def player_with_wallet(
    session: AsyncSession, account: LocalAccount, *, roles: tuple[str, ...] = ("player",)
) -> User:
    user = await make_user(session, roles=roles)
    await link_wallet(session, user, account)
    return user


async def mint_registered(
    session: AsyncSession,
    chain: ChainClient,
    to: LocalAccount | str,
    *,
    approve: bool = True,
    name: str = "Test Sword",
) -> str:
    """Mint an ERC-721 to `to`, let the service operate the wallet, register it; its id."""
    address = to if isinstance(to, str) else to.address
    minted = await chain.mint_721(address, "ipfs://test.json")
    if approve and not isinstance(to, str):
        await chain.set_approval_for_all(
            chain.service_address, True, standard=Standard.ERC721, signer=to
        )
    nft_id = f"nft-test-{uuid.uuid4().hex[:10]}"
    await service.register_nft(
        session=session,
        nft_id=nft_id,
        chain_id=chain.chain_id,
        contract=chain.addresses.nft721,
        token_id=minted.token_id,
        standard=NftStandard.ERC721,
        name=name,
        image="https://example.com/sword.png",
        attributes=[{"trait_type": "type", "value": "weapon"}],
    )
    return nft_id
