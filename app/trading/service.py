"""Listings, offers and sales settled by the chain indexer.

State machine of a listing:

    active ──accept offer──▶ awaiting_transfer ──indexer: token seller→buyer──▶ sold
      │                            │
      └──seller cancels / indexer: token left the seller otherwise──▶ cancelled

Offers: open ─▶ withdrawn (buyer) | declined (another accepted, listing closed) |
accepted ─▶ settled (sold) | declined (listing cancelled).

The service never marks a sale done by itself: only `on_transfers`, the listener the
indexer awaits inside its transaction, does, when it sees the token move from the listing's
seller address to the accepted buyer's address. For custodial NFTs (held by the service
wallet for the seller) accepting an offer makes the service send that transfer itself; for
NFTs in the seller's own wallet the seller sends it (the response says exactly what to send).
Prices are wei of the chain's native coin; payment is between the parties (no escrow here).
"""

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import ensure_owner
from app.chain import ChainError, TokenTransfer
from app.core.errors import InvalidInput
from app.nfts import queries as nft_queries
from app.nfts import service as nft_service
from app.nfts.component import NftComponent
from app.nfts.errors import ChainUnavailable
from app.nfts.models import Nft
from app.resources import Resources
from app.trading import queries
from app.trading.errors import (
    AlreadyListed,
    ListingNotFound,
    ListingNotOpen,
    NftPlaced,
    NotNftOwner,
    OfferExists,
    OfferNotFound,
    OfferNotOpen,
    OwnListing,
    SellerNoLongerOwns,
    TooManyOffers,
    WalletRequired,
)
from app.trading.metrics import LISTINGS_CLOSED, OFFERS, SALES
from app.trading.models import (
    CancelReason,
    Listing,
    ListingStatus,
    Offer,
    OfferStatus,
)
from app.users import queries as user_queries
from app.users.models import User


def _now() -> datetime:
    return datetime.now().astimezone()


async def _service_address(resources: Resources) -> str:
    chain = await resources.component(NftComponent).chain()
    return chain.service_address.lower()


# --- listings ------------------------------------------------------------------------------


async def create_listing(
    *, resources: Resources, session: AsyncSession, seller: User, nft_id: str, price_wei: int
) -> Listing:
    nft = await nft_service.get_nft(session=session, nft_id=nft_id)
    holder = await nft_service.holder_address_of(
        session=session,
        nft=nft,
        user_id=seller.id,
        service_address=await _service_address(resources),
    )
    if holder is None:
        raise NotNftOwner(
            "Only the NFT's current owner can list it (per indexed on-chain ownership)",
            details={"nft_id": nft_id},
        )
    if await nft_service.active_placement(session=session, nft_id=nft_id) is not None:
        raise NftPlaced("This NFT is placed in the world; withdraw it before selling it")
    listing = Listing(
        nft_id=nft_id,
        seller_id=seller.id,
        seller_address=holder,
        custodial=holder == await _service_address(resources),
        price_wei=price_wei,
        status=ListingStatus.ACTIVE.value,
    )
    try:
        async with session.begin_nested():
            session.add(listing)
            await session.flush()
    except IntegrityError as exc:
        raise AlreadyListed("This NFT is already listed", details={"nft_id": nft_id}) from exc
    await session.commit()
    await session.refresh(listing)
    return listing


async def get_listing(*, session: AsyncSession, listing_id: uuid.UUID) -> Listing:
    listing = await queries.get_listing(session, listing_id)
    if listing is None:
        raise ListingNotFound("No such listing", details={"listing_id": str(listing_id)})
    return listing


def _close_listing(
    listing: Listing, status: ListingStatus, now: datetime, reason: CancelReason | None = None
) -> None:
    listing.status = status.value
    listing.cancel_reason = reason.value if reason else None
    listing.closed_at = now
    LISTINGS_CLOSED.labels(
        outcome="sold" if status is ListingStatus.SOLD else f"cancelled_{reason}"
    ).inc()


async def cancel_listing(*, session: AsyncSession, actor: User, listing_id: uuid.UUID) -> Listing:
    listing = ensure_owner(
        actor, await queries.get_listing(session, listing_id, lock=True), kind="listing"
    )
    if listing.status not in (ListingStatus.ACTIVE, ListingStatus.AWAITING_TRANSFER):
        raise ListingNotOpen(
            f"This listing is {listing.status}", details={"status": listing.status}
        )
    now = _now()
    _close_listing(listing, ListingStatus.CANCELLED, now, CancelReason.SELLER)
    await queries.close_offers(
        session,
        listing.id,
        from_statuses=(OfferStatus.OPEN, OfferStatus.ACCEPTED),
        to_status=OfferStatus.DECLINED,
        now=now,
    )
    await session.commit()
    return listing


def encode_cursor(listing: Listing) -> str:
    raw = orjson.dumps([listing.created_at.isoformat(), str(listing.id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created), uuid.UUID(key)
    except (binascii.Error, ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput("Invalid cursor", details={"field": "cursor"}) from exc


@dataclass(frozen=True, slots=True)
class ListingPage:
    items: list[Listing]
    next_cursor: str | None


async def browse_listings(
    *,
    resources: Resources,
    session: AsyncSession,
    status: str | None,
    nft_id: str | None,
    seller: str | None,
    limit: int | None,
    cursor: str | None,
) -> ListingPage:
    settings = resources.settings
    wanted = settings.trading_default_limit if limit is None else limit
    if not 1 <= wanted <= settings.trading_max_limit:
        raise InvalidInput(
            f"limit must be between 1 and {settings.trading_max_limit}", details={"field": "limit"}
        )
    statuses = [s.value for s in ListingStatus]
    if status is not None:
        if status not in statuses:
            raise InvalidInput(f"status must be one of {statuses}", details={"field": "status"})
        statuses = [status]
    seller_id = None
    if seller is not None:
        user = await user_queries.user_by_username(session, seller)
        if user is None:
            return ListingPage(items=[], next_cursor=None)
        seller_id = user.id
    rows = await queries.browse(
        session,
        statuses=statuses if status else [ListingStatus.ACTIVE.value],
        nft_id=nft_id,
        seller_id=seller_id,
        after=decode_cursor(cursor) if cursor else None,
        limit=wanted + 1,
    )
    more = len(rows) > wanted
    items = rows[:wanted]
    return ListingPage(items=items, next_cursor=encode_cursor(items[-1]) if more else None)


# --- offers --------------------------------------------------------------------------------


async def make_offer(
    *,
    resources: Resources,
    session: AsyncSession,
    buyer: User,
    listing_id: uuid.UUID,
    price_wei: int,
) -> Offer:
    listing = await get_listing(session=session, listing_id=listing_id)
    if listing.status != ListingStatus.ACTIVE:
        raise ListingNotOpen(
            f"This listing is {listing.status}", details={"status": listing.status}
        )
    if listing.seller_id == buyer.id:
        raise OwnListing("You cannot make an offer on your own listing")
    wallets = await user_queries.wallet_addresses(session, buyer.id)
    if not wallets:
        raise WalletRequired(
            "Link a wallet first: a sale completes by an on-chain transfer to your wallet"
        )
    if await queries.count_open_offers(session, listing.id) >= (
        resources.settings.trading_max_open_offers
    ):
        raise TooManyOffers("This listing has too many open offers")
    offer = Offer(
        listing_id=listing.id,
        buyer_id=buyer.id,
        buyer_address=wallets[0].lower(),
        price_wei=price_wei,
        status=OfferStatus.OPEN.value,
    )
    try:
        async with session.begin_nested():
            session.add(offer)
            await session.flush()
    except IntegrityError as exc:
        raise OfferExists(
            "You already have an open offer on this listing; withdraw it first"
        ) from exc
    await session.commit()
    await session.refresh(offer)
    OFFERS.labels(action="made").inc()
    return offer


async def withdraw_offer(*, session: AsyncSession, actor: User, offer_id: uuid.UUID) -> Offer:
    offer = ensure_owner(actor, await queries.get_offer(session, offer_id, lock=True), kind="offer")
    if offer.status != OfferStatus.OPEN:
        raise OfferNotOpen(f"This offer is {offer.status}", details={"status": offer.status})
    offer.status = OfferStatus.WITHDRAWN.value
    offer.closed_at = _now()
    await session.commit()
    OFFERS.labels(action="withdrawn").inc()
    return offer


async def list_offers(*, session: AsyncSession, actor: User, listing_id: uuid.UUID) -> list[Offer]:
    """The seller (and admins) see every offer; anyone else only their own."""
    listing = await get_listing(session=session, listing_id=listing_id)
    sees_all = listing.seller_id == actor.id or actor.is_admin
    return await queries.offers_of(session, listing.id, buyer_id=None if sees_all else actor.id)


async def accept_offer(
    *, resources: Resources, session: AsyncSession, actor: User, offer_id: uuid.UUID
) -> Listing:
    """Accept an open offer (seller or admin). Custodial: the service sends the token now."""
    offer = await queries.get_offer(session, offer_id)
    if offer is None:
        raise OfferNotFound("No such offer", details={"offer_id": str(offer_id)})
    # The listing row lock serialises accepts, cancels and the indexer's settlement.
    listing = ensure_owner(
        actor, await queries.get_listing(session, offer.listing_id, lock=True), kind="listing"
    )
    offer = await queries.get_offer(session, offer_id, lock=True)
    assert offer is not None
    if listing.status != ListingStatus.ACTIVE:
        raise ListingNotOpen(
            f"This listing is {listing.status}", details={"status": listing.status}
        )
    if offer.status != OfferStatus.OPEN:
        raise OfferNotOpen(f"This offer is {offer.status}", details={"status": offer.status})
    nft = await nft_service.get_nft(session=session, nft_id=listing.nft_id)
    holder = await nft_service.holder_address_of(
        session=session,
        nft=nft,
        user_id=listing.seller_id,
        service_address=await _service_address(resources),
    )
    if holder != listing.seller_address:
        raise SellerNoLongerOwns(
            "The seller no longer holds this NFT where it was listed; the listing will close"
        )
    now = _now()
    listing.status = ListingStatus.AWAITING_TRANSFER.value
    listing.accepted_offer_id = offer.id
    listing.buyer_id = offer.buyer_id
    listing.buyer_address = offer.buyer_address
    offer.status = OfferStatus.ACCEPTED.value
    await queries.close_offers(
        session,
        listing.id,
        from_statuses=(OfferStatus.OPEN,),
        to_status=OfferStatus.DECLINED,
        now=now,
        except_id=offer.id,
    )
    if listing.custodial:
        chain = await resources.component(NftComponent).chain()
        try:
            sent = await chain.transfer_from(
                chain.service_address,
                offer.buyer_address,
                nft.token_id,
                standard=nft_service.chain_standard(nft),
                amount=nft.amount,
            )
        except ChainError as exc:
            await session.rollback()
            raise ChainUnavailable(
                "The NFT could not be transferred on chain; the offer is still open",
                details={"reason": type(exc).__name__},
            ) from exc
        listing.transfer_tx_hash = sent.tx_hash
    await session.commit()
    OFFERS.labels(action="accepted").inc()
    return listing


def transfer_instructions(listing: Listing, nft: Nft) -> dict[str, object] | None:
    if listing.status != ListingStatus.AWAITING_TRANSFER or listing.custodial:
        return None
    return {
        "chain_id": nft.chain_id,
        "contract": nft.contract,
        "token_id": str(nft.token_id),
        "standard": nft.standard,
        "amount": str(nft.amount),
        "from_address": listing.seller_address,
        "to_address": listing.buyer_address,
    }


# --- settlement: the indexer's listener ------------------------------------------------------


async def on_transfers(session: AsyncSession, transfers: list[TokenTransfer]) -> None:
    """Settle or cancel open listings of the tokens that moved (in the indexer's transaction).

    Idempotent: a re-org re-announces transfers, and closed listings are not touched again.
    """
    tokens = {(t.chain_id, t.contract.lower(), t.token_id) for t in transfers}
    now = _now()
    for chain_id, contract, token_id in sorted(tokens):
        for listing, nft in await queries.open_listings_for_token(
            session, chain_id, contract, token_id
        ):
            sale = _sale_transfer(listing, nft, transfers)
            if sale is not None:
                _close_listing(listing, ListingStatus.SOLD, now)
                listing.sale_tx_hash = sale.tx_hash
                listing.sale_block = sale.block_number
                await queries.close_offers(
                    session,
                    listing.id,
                    from_statuses=(OfferStatus.ACCEPTED,),
                    to_status=OfferStatus.SETTLED,
                    now=now,
                )
                SALES.inc()
            elif await nft_queries.held_amount(session, nft, listing.seller_address) < nft.amount:
                _close_listing(listing, ListingStatus.CANCELLED, now, CancelReason.MOVED)
                await queries.close_offers(
                    session,
                    listing.id,
                    from_statuses=(OfferStatus.OPEN, OfferStatus.ACCEPTED),
                    to_status=OfferStatus.DECLINED,
                    now=now,
                )
        await session.flush()


def _sale_transfer(
    listing: Listing, nft: Nft, transfers: list[TokenTransfer]
) -> TokenTransfer | None:
    if listing.status != ListingStatus.AWAITING_TRANSFER or listing.buyer_address is None:
        return None
    for t in transfers:
        if (
            t.chain_id == nft.chain_id
            and t.contract.lower() == nft.contract
            and t.token_id == nft.token_id
            and t.from_addr.lower() == listing.seller_address
            and t.to_addr.lower() == listing.buyer_address
            and t.amount >= nft.amount
        ):
            return t
    return None
