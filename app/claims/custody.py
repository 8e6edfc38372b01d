"""Releasing custody: a player who won (or was given) an NFT before linking a wallet gets it
sent to their wallet.

Custody is recorded by the NFT registry (`nfts.custody_user_id`, NFT-A's column): the service
wallet holds the token on chain for that user. Release is explicit (the player asks, so they
choose when, and with which linked wallet first), never silent on wallet linking.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import ChainError
from app.core.errors import Conflict, Forbidden
from app.nfts import service as nft_service
from app.nfts.component import NftComponent
from app.nfts.errors import ChainUnavailable, NftNotFound
from app.nfts.models import Nft
from app.resources import Resources
from app.trading.models import OPEN_LISTING_STATUSES, Listing
from app.users import queries as user_queries
from app.users.models import User


class NotInCustody(Forbidden):
    code = "not_in_custody"


class CustodyBusy(Conflict):
    code = "custody_busy"


class WalletRequired(Conflict):
    code = "wallet_required"


@dataclass(frozen=True, slots=True)
class Released:
    nft_id: str
    to_address: str
    tx_hash: str


async def release_custody(
    *, resources: Resources, session: AsyncSession, user: User, nft_id: str
) -> Released:
    # Row lock: two concurrent releases cannot both send the token.
    nft = await session.scalar(
        select(Nft)
        .where(Nft.id == nft_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if nft is None:
        raise NftNotFound(f"No NFT with id {nft_id!r}", details={"nft_id": nft_id})
    if nft.custody_user_id != user.id:
        raise NotInCustody("This NFT is not held in custody for you", details={"nft_id": nft_id})
    if await nft_service.active_placement(session=session, nft_id=nft_id) is not None:
        raise CustodyBusy("This NFT is placed; withdraw it first", details={"reason": "placed"})
    listed = await session.scalar(
        select(Listing.id).where(
            Listing.nft_id == nft_id,
            Listing.status.in_([s.value for s in OPEN_LISTING_STATUSES]),
        )
    )
    if listed is not None:
        raise CustodyBusy(
            "This NFT is listed for sale; cancel the listing first",
            details={"reason": "listed", "listing_id": str(listed)},
        )
    wallets = await user_queries.wallet_addresses(session, user.id)
    if not wallets:
        raise WalletRequired("Link a wallet first (Sign-In With Ethereum)")
    chain = await resources.component(NftComponent).chain()
    try:
        sent = await chain.transfer_from(
            chain.service_address,
            wallets[0],
            nft.token_id,
            standard=nft_service.chain_standard(nft),
            amount=nft.amount,
        )
    except ChainError as exc:
        await session.rollback()
        raise ChainUnavailable(
            "The NFT could not be transferred on chain; it stays in custody",
            details={"reason": type(exc).__name__},
        ) from exc
    nft.custody_user_id = None
    await session.commit()
    return Released(nft_id=nft_id, to_address=wallets[0].lower(), tx_hash=sent.tx_hash)
