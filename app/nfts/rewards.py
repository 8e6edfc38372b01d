"""Minting fresh NFTs for players: challenge rewards (award_nft) and organizers' mints."""

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts import queries, service
from app.nfts.component import NftComponent
from app.nfts.errors import NftExists
from app.nfts.models import NftPlacementState, NftStandard
from app.resources import Resources
from app.users import queries as user_queries

log = logging.getLogger("cyberspace.nfts")


async def mint_nft(
    *,
    nfts: NftComponent,
    session: AsyncSession,
    user_id: uuid.UUID,
    nft_id: str,
    name: str,
    description: str | None = None,
    image: str | None = None,
    attributes: list[dict[str, Any]] | None = None,
    created_by: uuid.UUID | None = None,
) -> str:
    """Mint a fresh ERC-721 to the user's first linked wallet, or into custody for them, and
    register it as `nft_id`. Flushes; the caller commits. Ownership shows after indexing."""
    if await queries.get_nft(session, nft_id) is not None:
        raise NftExists(f"NFT id {nft_id!r} is taken", details={"nft_id": nft_id})
    chain = await nfts.chain()
    wallets = await user_queries.wallet_addresses(session, user_id)
    to = wallets[0] if wallets else chain.service_address
    minted = await chain.mint_721(to, image or "")
    await _forget_stale_entry(session, chain.chain_id, chain.addresses.nft721, minted.token_id)
    await service.register_nft(
        session=session,
        nft_id=nft_id,
        chain_id=chain.chain_id,
        contract=chain.addresses.nft721,
        token_id=minted.token_id,
        standard=NftStandard.ERC721,
        name=name,
        description=description,
        image=image,
        attributes=attributes,
        custody_user_id=None if wallets else user_id,
        created_by=created_by,
    )
    return nft_id


async def _forget_stale_entry(
    session: AsyncSession, chain_id: int, contract: str, token_id: int
) -> None:
    """A token id just minted cannot have existed before on this chain, so a registry row for
    it describes a token of an earlier life of the chain (the embedded chain restarts empty):
    close its placement and drop it, so the new token can be registered."""
    stale = await queries.nft_for_token(session, chain_id, contract, token_id)
    if stale is None:
        return
    log.warning("registry entry %s pointed at a token that did not exist: removed", stale.id)
    await service.close_placement(
        session=session, nft_id=stale.id, state=NftPlacementState.WITHDRAWN
    )
    await session.delete(stale)
    await session.flush()


async def award_nft(
    *,
    resources: Resources,
    session: AsyncSession,
    user_id: uuid.UUID,
    name: str,
    metadata: dict[str, Any],
) -> str:
    """Challenge rewards: a fresh ERC-721 for `user_id`; returns its id (`reward-<hex>`).

    `metadata` may carry `description`, `image` and `attributes`. Flushes, does not commit.
    """
    return await mint_nft(
        nfts=resources.component(NftComponent),
        session=session,
        user_id=user_id,
        nft_id=f"reward-{uuid.uuid4().hex[:16]}",
        name=name[:200],
        description=metadata.get("description"),
        image=metadata.get("image"),
        attributes=metadata.get("attributes"),
    )
