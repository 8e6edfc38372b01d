"""SQL of the trading aggregate: listings and offers."""

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.nfts.models import Nft
from app.trading.models import OPEN_LISTING_STATUSES, Listing, Offer, OfferStatus

_OPEN = [s.value for s in OPEN_LISTING_STATUSES]


async def get_listing(
    session: AsyncSession, listing_id: uuid.UUID, *, lock: bool = False
) -> Listing | None:
    stmt = select(Listing).where(Listing.id == listing_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found: Listing | None = await session.scalar(stmt)
    return found


async def get_offer(
    session: AsyncSession, offer_id: uuid.UUID, *, lock: bool = False
) -> Offer | None:
    stmt = select(Offer).where(Offer.id == offer_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found: Offer | None = await session.scalar(stmt)
    return found


async def open_listings_for_token(
    session: AsyncSession, chain_id: int, contract: str, token_id: int
) -> list[tuple[Listing, Nft]]:
    """Open listings of one token, locked (the indexer settles or cancels them)."""
    rows = await session.execute(
        select(Listing, Nft)
        .join(Nft, Nft.id == Listing.nft_id)
        .where(
            Nft.chain_id == chain_id,
            Nft.contract == contract.lower(),
            Nft.token_id == token_id,
            Listing.status.in_(_OPEN),
        )
        .with_for_update(of=Listing)
        .execution_options(populate_existing=True)
    )
    return [(listing, nft) for listing, nft in rows.all()]


async def count_open_offers(session: AsyncSession, listing_id: uuid.UUID) -> int:
    count: int | None = await session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(Offer.listing_id == listing_id, Offer.status == OfferStatus.OPEN.value)
    )
    return count or 0


async def close_offers(
    session: AsyncSession,
    listing_id: uuid.UUID,
    *,
    from_statuses: tuple[OfferStatus, ...],
    to_status: OfferStatus,
    now: datetime,
    except_id: uuid.UUID | None = None,
) -> None:
    stmt = (
        update(Offer)
        .where(
            Offer.listing_id == listing_id,
            Offer.status.in_([s.value for s in from_statuses]),
        )
        .values(status=to_status.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if except_id is not None:
        stmt = stmt.where(Offer.id != except_id)
    await session.execute(stmt)


async def offers_of(
    session: AsyncSession, listing_id: uuid.UUID, *, buyer_id: uuid.UUID | None = None
) -> list[Offer]:
    stmt = select(Offer).where(Offer.listing_id == listing_id)
    if buyer_id is not None:
        stmt = stmt.where(Offer.buyer_id == buyer_id)
    rows = await session.scalars(stmt.order_by(Offer.created_at, Offer.id))
    return list(rows)


async def browse(
    session: AsyncSession,
    *,
    statuses: list[str],
    nft_id: str | None,
    seller_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Listing]:
    """Newest first, keyset-paged by (created_at, id)."""
    stmt = select(Listing).where(Listing.status.in_(statuses))
    if nft_id is not None:
        stmt = stmt.where(Listing.nft_id == nft_id)
    if seller_id is not None:
        stmt = stmt.where(Listing.seller_id == seller_id)
    if after is not None:
        created, key = after
        stmt = stmt.where(
            (Listing.created_at < created) | ((Listing.created_at == created) & (Listing.id < key))
        )
    rows = await session.scalars(
        stmt.order_by(Listing.created_at.desc(), Listing.id.desc()).limit(limit)
    )
    return list(rows)
