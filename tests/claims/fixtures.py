"""Helpers shared by tests/claims, tests/trading and tests/gql (and the claim bench); their
chain fixtures come from tests/chain_fixtures.py."""

import uuid

from eth_account.signers.local import LocalAccount
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import ChainClient
from app.nfts import placing, service
from app.nfts.component import NftComponent
from app.nfts.models import NftStandard
from app.resources import Resources
from app.users.models import User, Wallet
from tests.factories import make_user

MARIENPLATZ = (48.1371, 11.5754)


def auth_headers(app: FastAPI, user: User) -> dict[str, str]:
    """A valid access token without a login round trip (no argon2, no rate limit)."""
    token, _ = app.state.resources.auth.tokens.issue_user_token(
        user_id=user.id, session_id=uuid.uuid4()
    )
    return {"Authorization": f"Bearer {token}"}


async def link_wallet(session: AsyncSession, user: User, address: str) -> None:
    session.add(Wallet(address=address.lower(), user_id=user.id))
    await session.flush()


async def player(
    session: AsyncSession, *, wallet: str | LocalAccount | None = None, username: str | None = None
) -> User:
    user = await make_user(session, username=username)
    if wallet is not None:
        await link_wallet(session, user, wallet if isinstance(wallet, str) else wallet.address)
    return user


def random_address() -> str:
    return "0x" + uuid.uuid4().hex + uuid.uuid4().hex[:8]


async def mint_registered(
    session: AsyncSession,
    chain: ChainClient,
    *,
    to: str,
    custody_for: User | None = None,
    name: str = "Test Sword",
    nft_id: str | None = None,
) -> str:
    """Mint an ERC-721 to `to` (the service wallet for custody) and register it."""
    minted = await chain.mint_721(to, "ipfs://test.json")
    nft_id = nft_id or f"nft-t-{uuid.uuid4().hex[:12]}"
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
        custody_user_id=custody_for.id if custody_for else None,
    )
    await session.commit()
    return nft_id


async def placed_in_custody(
    *,
    resources: Resources,
    session: AsyncSession,
    nfts: NftComponent,
    placer: User,
    at: tuple[float, float] = MARIENPLATZ,
    claim_radius_m: float = 30.0,
    name: str = "Test Sword",
    nft_id: str | None = None,
) -> str:
    """An NFT held by the service wallet for `placer`, indexed, and placed at `at`."""
    chain = await nfts.chain()
    nft_id = await mint_registered(
        session, chain, to=chain.service_address, custody_for=placer, name=name, nft_id=nft_id
    )
    await nfts.indexer.index_now()
    await placing.place_nft(
        resources=resources,
        session=session,
        chain=chain,
        actor=placer,
        req=placing.PlaceRequest(
            user_ref=str(placer.id),
            nft_id=nft_id,
            lat=at[0],
            lng=at[1],
            claim_radius_m=claim_radius_m,
        ),
    )
    return nft_id
