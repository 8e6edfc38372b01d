"""HTTP routes of geofences."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.dependencies import CurrentPrincipal, CurrentUser
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.geofences import queries, service
from app.geofences.dependencies import (
    GeofenceCreator,
    GeofenceEngineDep,
    GeofenceSyncDep,
    OwnedGeofence,
    SettingsDep,
)
from app.geofences.schemas import GeofenceIn, GeofenceOut, GeofencePageOut, GeofencePatch

router = APIRouter(prefix="/api/geofences", tags=["geofences"])


@router.post(
    "",
    response_model=GeofenceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a geofence (organizers): Polygon, MultiPolygon, or Point + radius_m",
)
async def create_geofence(
    body: GeofenceIn,
    owner: GeofenceCreator,
    session: SessionDep,
    sync: GeofenceSyncDep,
    settings: SettingsDep,
) -> GeofenceOut:
    return await service.create_geofence(
        session=session, sync=sync, settings=settings, owner=owner, body=body
    )


@router.get(
    "",
    response_model=GeofencePageOut,
    summary="Fences in a bbox (paged), or covering a point (lat & lng), optionally only mine",
)
async def list_geofences(
    user: CurrentUser,
    session: SessionDep,
    engine: GeofenceEngineDep,
    settings: SettingsDep,
    bbox: Annotated[
        str | None, Query(max_length=200, description="minLng,minLat,maxLng,maxLat")
    ] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90, allow_inf_nan=False)] = None,
    lng: Annotated[float | None, Query(ge=-180, le=180, allow_inf_nan=False)] = None,
    mine: bool = False,
    limit: Annotated[int | None, Query(ge=1, description="Default 50, max 200")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> GeofencePageOut:
    return await service.list_geofences(
        session=session,
        engine=engine,
        settings=settings,
        user=user,
        bbox=bbox,
        lat=lat,
        lng=lng,
        mine=mine,
        limit=limit,
        cursor=cursor,
    )


@router.get("/{fence_id}", response_model=GeofenceOut, summary="One geofence")
async def get_geofence(
    fence_id: uuid.UUID, _: CurrentPrincipal, session: SessionDep
) -> GeofenceOut:
    fence = await queries.get_geofence(session, fence_id)
    if fence is None:
        raise NotFound("No such geofence")
    return service.geofence_out(fence)


@router.patch(
    "/{fence_id}",
    response_model=GeofenceOut,
    summary="Change some fields of my geofence (owner or admin); bumps version",
)
async def patch_geofence(
    body: GeofencePatch,
    fence: OwnedGeofence,
    session: SessionDep,
    sync: GeofenceSyncDep,
    settings: SettingsDep,
) -> GeofenceOut:
    return await service.update_geofence(
        session=session, sync=sync, settings=settings, fence=fence, patch=body
    )


@router.put(
    "/{fence_id}",
    response_model=GeofenceOut,
    summary="Replace my geofence (owner or admin); bumps version",
)
async def put_geofence(
    body: GeofenceIn,
    fence: OwnedGeofence,
    session: SessionDep,
    sync: GeofenceSyncDep,
    settings: SettingsDep,
) -> GeofenceOut:
    return await service.update_geofence(
        session=session, sync=sync, settings=settings, fence=fence, patch=body
    )


@router.delete(
    "/{fence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete my geofence (owner or admin)",
)
async def delete_geofence(fence: OwnedGeofence, session: SessionDep, sync: GeofenceSyncDep) -> None:
    await service.delete_geofence(session=session, sync=sync, fence=fence)
