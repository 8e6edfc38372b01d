"""HTTP routes for nearby discovery (public) and placement writes (token required)."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.core.db import SessionDep
from app.core.responses import FastJSONResponse
from app.placements import service
from app.placements.dependencies import (
    NearbyLimitsDep,
    OwnedPlacement,
    PlacementIndexDep,
    PlacementSyncDep,
    PlacementWriter,
)
from app.placements.schemas import NearbyPageOut, PlacementIn, PlacementOut, PlacementPatch

router = APIRouter(prefix="/api", tags=["nearby"])


@router.get(
    "/nearby",
    response_model=NearbyPageOut,
    response_class=FastJSONResponse,
    summary="Objects near a point, nearest first, with distance and bearing for AR views",
)
async def nearby(
    index: PlacementIndexDep,
    limits: NearbyLimitsDep,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lng: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    radius_m: Annotated[
        float | None, Query(gt=0, allow_inf_nan=False, description="Default 500, max 50000")
    ] = None,
    limit: Annotated[int | None, Query(ge=1, description="Default 50, max 200")] = None,
    kinds: Annotated[
        str | None, Query(description="Comma-separated: nft, space, portal, marker")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> FastJSONResponse:
    # Returning the response directly skips re-validating a page we built ourselves.
    page = service.nearby_placements(
        index=index,
        limits=limits,
        lat=lat,
        lng=lng,
        radius_m=radius_m,
        limit=limit,
        kinds=kinds,
        cursor=cursor,
    )
    return FastJSONResponse(page)


@router.post(
    "/placements",
    response_model=PlacementOut,
    status_code=status.HTTP_201_CREATED,
    tags=["placements"],
    summary="Place an object; the caller owns it (scope placements:write for app tokens)",
)
async def create_placement(
    body: PlacementIn, owner: PlacementWriter, session: SessionDep, sync: PlacementSyncDep
) -> PlacementOut:
    return await service.create_placement(
        session=session,
        sync=sync,
        owner=owner,
        kind=body.kind,
        title=body.title,
        lat=body.lat,
        lng=body.lng,
        altitude_m=body.altitude_m,
    )


@router.patch(
    "/placements/{placement_id}",
    response_model=PlacementOut,
    tags=["placements"],
    summary="Edit or move my placement (owner or admin; someone else's is a 403)",
)
async def update_placement(
    body: PlacementPatch, placement: OwnedPlacement, session: SessionDep, sync: PlacementSyncDep
) -> PlacementOut:
    return await service.update_placement(
        session=session, sync=sync, placement=placement, patch=body
    )


@router.delete(
    "/placements/{placement_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["placements"],
    summary="Withdraw my placement from discovery (owner or admin)",
)
async def withdraw_placement(
    placement: OwnedPlacement, session: SessionDep, sync: PlacementSyncDep
) -> None:
    await service.withdraw_placement(session=session, sync=sync, placement=placement)
