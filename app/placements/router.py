"""HTTP routes for nearby discovery."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.responses import FastJSONResponse
from app.placements import service
from app.placements.dependencies import NearbyLimitsDep, PlacementIndexDep
from app.placements.schemas import NearbyPageOut

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
