"""HTTP routes of NovaProtocol portals."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import AuthDep, CurrentUser, OptionalUser
from app.core.db import SessionDep
from app.placements.dependencies import NearbyLimitsDep, PlacementSyncDep
from app.portals import service
from app.portals.schemas import PortalIn, PortalListOut, PortalOut, PortalPassOut

router = APIRouter(prefix="/api/portals", tags=["portals"])


@router.post("", response_model=PortalOut, status_code=status.HTTP_201_CREATED)
async def create_portal(
    body: PortalIn, user: CurrentUser, session: SessionDep, sync: PlacementSyncDep
) -> PortalOut:
    return await service.create_portal(session=session, sync=sync, actor=user, body=body)


@router.get("/nearby", response_model=PortalListOut, summary="Portals near a point")
async def nearby_portals(
    session: SessionDep,
    limits: NearbyLimitsDep,
    viewer: OptionalUser,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lng: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    radius_m: Annotated[float, Query(gt=0, allow_inf_nan=False)] = 1000.0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PortalListOut:
    items = await service.nearby_portals(
        session=session,
        limits=limits,
        viewer=viewer,
        lat=lat,
        lng=lng,
        radius_m=radius_m,
        limit=limit,
    )
    return PortalListOut(items=items, count=len(items))


@router.get("/{portal_id}", response_model=PortalOut)
async def get_portal(portal_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> PortalOut:
    return await service.get_portal(session=session, viewer=viewer, portal_id=portal_id)


@router.delete("/{portal_id}", status_code=status.HTTP_204_NO_CONTENT)
async def withdraw_portal(
    portal_id: uuid.UUID, user: CurrentUser, session: SessionDep, sync: PlacementSyncDep
) -> Response:
    await service.withdraw_portal(session=session, sync=sync, actor=user, portal_id=portal_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{portal_id}/enter",
    response_model=PortalPassOut,
    response_model_by_alias=True,
    summary="Check the NFT requirement and get a short-lived signed pass for the game",
)
async def enter_portal(
    portal_id: uuid.UUID, user: CurrentUser, session: SessionDep, auth: AuthDep
) -> PortalPassOut:
    return await service.enter_portal(
        session=session,
        keys=auth.tokens.keys,
        settings=auth.settings,
        user=user,
        portal_id=portal_id,
    )
