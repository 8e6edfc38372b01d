"""HTTP routes of locations: POST /api/locations, my position, fence event logs."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from app.auth.dependencies import CurrentUser
from app.core.db import SessionDep
from app.locations import service
from app.locations.schemas import (
    GeofenceEventPage,
    LocationBatchIn,
    LocationBatchOut,
    LocationUpdateIn,
    PositionOut,
)

router = APIRouter(prefix="/api", tags=["locations"])

UpdatesBody = Annotated[
    LocationBatchIn | list[LocationUpdateIn] | LocationUpdateIn,
    Body(
        description='One update, a list of updates, or {"updates": [...]} '
        "(at most LOCATION_MAX_BATCH)",
        openapi_examples={
            "one": {
                "value": {
                    "lat": 48.1371,
                    "lng": 11.5754,
                    "accuracy_m": 8,
                    "timestamp": "2026-11-26T10:00:00Z",
                }
            },
            "batch": {
                "value": {
                    "updates": [
                        {"lat": 48.1371, "lng": 11.5754, "accuracy_m": 8, "timestamp": 1795687200},
                        {"lat": 48.1372, "lng": 11.5755, "accuracy_m": 8, "timestamp": 1795687205},
                    ]
                }
            },
        },
    ),
]


@router.post(
    "/locations",
    response_model=LocationBatchOut,
    summary="Report my position (one fix or a batch); answers per fix: accepted or why not, "
    "and the geofence/challenge events it caused",
)
async def post_locations(
    body: UpdatesBody, user: CurrentUser, session: SessionDep, request: Request
) -> LocationBatchOut:
    if isinstance(body, LocationBatchIn):
        updates = body.updates
    elif isinstance(body, list):
        updates = body
    else:
        updates = [body]
    results = await service.ingest_updates(
        resources=request.app.state.resources, session=session, user=user, updates=updates
    )
    accepted = sum(r.accepted for r in results)
    return LocationBatchOut(accepted=accepted, rejected=len(results) - accepted, results=results)


@router.get(
    "/locations/me",
    response_model=PositionOut,
    summary="My last accepted position and the geofences I am inside",
)
async def my_position(user: CurrentUser, session: SessionDep) -> PositionOut:
    return await service.my_position(session=session, user=user)


@router.get(
    "/geofences/{fence_id}/events",
    response_model=GeofenceEventPage,
    tags=["geofences"],
    summary="The fence's enter/exit/dwell log, newest first (fence owner or admin)",
)
async def fence_events(
    fence_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> GeofenceEventPage:
    return await service.fence_event_log(
        resources=request.app.state.resources,
        session=session,
        user=user,
        fence_id=fence_id,
        limit=limit,
        before_id=before_id,
    )
