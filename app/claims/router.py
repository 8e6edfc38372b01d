"""HTTP routes of claims."""

from typing import Annotated

from fastapi import APIRouter, Path, Request

from app.auth.dependencies import CurrentUser
from app.claims import custody, service
from app.claims.schemas import ClaimIn, ClaimOut, ReleasedOut
from app.core.db import SessionDep
from app.resources import Resources

router = APIRouter(tags=["claims"])

NftIdPath = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "/api/nfts/{nft_id}/claim",
    response_model=ClaimOut,
    summary="Claim a placed NFT from where you stand (proof of presence)",
    responses={
        403: {"description": "too_far, implausible_movement, own_placement"},
        404: {"description": "nft_not_found"},
        409: {"description": "already_claimed, claim_in_progress, not_placed, not_visible"},
        422: {"description": "accuracy_too_poor or a malformed body"},
        503: {"description": "chain_unavailable: the transfer failed; still claimable"},
    },
)
async def claim(
    nft_id: NftIdPath, body: ClaimIn, user: CurrentUser, session: SessionDep, request: Request
) -> ClaimOut:
    resources: Resources = request.app.state.resources
    won = await service.claim_nft(
        resources=resources,
        session=session,
        claimer=user,
        req=service.ClaimRequest(
            nft_id=nft_id, lat=body.lat, lng=body.lng, accuracy_m=body.accuracy_m
        ),
    )
    return ClaimOut(
        message="NFT successfully claimed",
        nft_id=won.nft_id,
        placement_id=won.placement_id,
        distance_m=round(won.distance_m, 2),
        to_address=won.to_address,
        custody=won.custody,
        tx_hash=won.tx_hash,
    )


@router.post(
    "/api/nfts/{nft_id}/custody/release",
    response_model=ReleasedOut,
    summary="Send an NFT the service holds in custody for you to your linked wallet",
    responses={
        403: {"description": "not_in_custody"},
        409: {"description": "wallet_required, custody_busy (placed or listed)"},
        503: {"description": "chain_unavailable: it stays in custody"},
    },
)
async def release_custody(
    nft_id: NftIdPath, user: CurrentUser, session: SessionDep, request: Request
) -> ReleasedOut:
    released = await custody.release_custody(
        resources=request.app.state.resources, session=session, user=user, nft_id=nft_id
    )
    return ReleasedOut(
        message="NFT sent to your wallet",
        nft_id=released.nft_id,
        to_address=released.to_address,
        tx_hash=released.tx_hash,
    )
