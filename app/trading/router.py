"""HTTP routes of trading: list, browse, cancel, offer, withdraw, accept."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CurrentUser
from app.core.db import SessionDep
from app.nfts import service as nft_service
from app.resources import Resources
from app.trading import service
from app.trading.models import Listing, Offer
from app.trading.schemas import (
    ListingIn,
    ListingOut,
    ListingPage,
    OfferIn,
    OfferList,
    OfferOut,
    TransferInstructions,
)

router = APIRouter(tags=["trading"])


def _resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def _listing_out(session: AsyncSession, listing: Listing) -> ListingOut:
    out = ListingOut.model_validate(listing, from_attributes=True)
    if listing.status == "awaiting_transfer" and not listing.custodial:
        nft = await nft_service.get_nft(session=session, nft_id=listing.nft_id)
        found = service.transfer_instructions(listing, nft)
        out.transfer = TransferInstructions.model_validate(found) if found else None
    return out


def _offer_out(offer: Offer) -> OfferOut:
    return OfferOut.model_validate(offer, from_attributes=True)


@router.post(
    "/api/listings",
    response_model=ListingOut,
    status_code=status.HTTP_201_CREATED,
    summary="List an NFT you own for sale (price in wei of the chain's native coin)",
)
async def create_listing(
    body: ListingIn, user: CurrentUser, session: SessionDep, request: Request
) -> ListingOut:
    listing = await service.create_listing(
        resources=_resources(request),
        session=session,
        seller=user,
        nft_id=body.nft_id,
        price_wei=body.price,
    )
    return await _listing_out(session, listing)


@router.get("/api/listings", response_model=ListingPage, summary="Browse listings, newest first")
async def browse_listings(
    session: SessionDep,
    request: Request,
    status_: Annotated[str | None, Query(alias="status")] = None,
    nft_id: Annotated[str | None, Query(max_length=64)] = None,
    seller: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ListingPage:
    page = await service.browse_listings(
        resources=_resources(request),
        session=session,
        status=status_,
        nft_id=nft_id,
        seller=seller,
        limit=limit,
        cursor=cursor,
    )
    return ListingPage(
        items=[await _listing_out(session, listing) for listing in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/api/listings/{listing_id}", response_model=ListingOut, summary="One listing")
async def get_listing(listing_id: uuid.UUID, session: SessionDep) -> ListingOut:
    listing = await service.get_listing(session=session, listing_id=listing_id)
    return await _listing_out(session, listing)


@router.post(
    "/api/listings/{listing_id}/cancel",
    response_model=ListingOut,
    summary="Cancel your listing (seller or admin)",
)
async def cancel_listing(
    listing_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ListingOut:
    listing = await service.cancel_listing(session=session, actor=user, listing_id=listing_id)
    return await _listing_out(session, listing)


@router.post(
    "/api/listings/{listing_id}/offers",
    response_model=OfferOut,
    status_code=status.HTTP_201_CREATED,
    summary="Make an offer (needs a linked wallet: the NFT is delivered there)",
)
async def make_offer(
    listing_id: uuid.UUID, body: OfferIn, user: CurrentUser, session: SessionDep, request: Request
) -> OfferOut:
    offer = await service.make_offer(
        resources=_resources(request),
        session=session,
        buyer=user,
        listing_id=listing_id,
        price_wei=body.price,
    )
    return _offer_out(offer)


@router.get(
    "/api/listings/{listing_id}/offers",
    response_model=OfferList,
    summary="Offers on a listing: all for the seller, your own otherwise",
)
async def list_offers(listing_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> OfferList:
    offers = await service.list_offers(session=session, actor=user, listing_id=listing_id)
    return OfferList(items=[_offer_out(o) for o in offers])


@router.post(
    "/api/offers/{offer_id}/withdraw", response_model=OfferOut, summary="Withdraw your offer"
)
async def withdraw_offer(offer_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> OfferOut:
    return _offer_out(await service.withdraw_offer(session=session, actor=user, offer_id=offer_id))


@router.post(
    "/api/offers/{offer_id}/accept",
    response_model=ListingOut,
    summary="Accept an offer on your listing; the sale completes when the transfer is indexed",
)
async def accept_offer(
    offer_id: uuid.UUID, user: CurrentUser, session: SessionDep, request: Request
) -> ListingOut:
    listing = await service.accept_offer(
        resources=_resources(request), session=session, actor=user, offer_id=offer_id
    )
    return await _listing_out(session, listing)
