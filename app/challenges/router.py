"""HTTP routes of challenges."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.auth.dependencies import CurrentUser, OrganizerUser
from app.challenges import queries, service
from app.challenges.schemas import (
    ChallengeIn,
    ChallengeList,
    ChallengeOut,
    LeaderboardOut,
    ParticipantOut,
)
from app.core.db import SessionDep

router = APIRouter(prefix="/api/challenges", tags=["challenges"])


@router.post(
    "",
    response_model=ChallengeOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a challenge on my geofences (organizers)",
)
async def create_challenge(
    body: ChallengeIn, owner: OrganizerUser, session: SessionDep, request: Request
) -> ChallengeOut:
    challenge = await service.create_challenge(
        resources=request.app.state.resources, session=session, owner=owner, body=body
    )
    return ChallengeOut.model_validate(challenge)


@router.get("", response_model=ChallengeList, summary="Challenges (mine, or on a geofence)")
async def list_challenges(
    user: CurrentUser,
    session: SessionDep,
    mine: bool = False,
    fence_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ChallengeList:
    rows = await queries.list_challenges(
        session, owner_id=user.id if mine else None, fence_id=fence_id, limit=limit
    )
    return ChallengeList(items=[ChallengeOut.model_validate(c) for c in rows])


@router.get("/{challenge_id}", response_model=ChallengeOut, summary="One challenge")
async def get_challenge(
    challenge_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ChallengeOut:
    return ChallengeOut.model_validate(await service.get_challenge(session, challenge_id))


@router.delete(
    "/{challenge_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete my challenge (owner or admin)",
)
async def delete_challenge(
    challenge_id: uuid.UUID, user: CurrentUser, session: SessionDep, request: Request
) -> Response:
    await service.delete_challenge(
        resources=request.app.state.resources, session=session, user=user, challenge_id=challenge_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{challenge_id}/join",
    response_model=ParticipantOut,
    summary="Join a challenge (idempotent; 409 when it is full or over)",
)
async def join(
    challenge_id: uuid.UUID, user: CurrentUser, session: SessionDep, request: Request
) -> ParticipantOut:
    return await service.join(
        resources=request.app.state.resources, session=session, user=user, challenge_id=challenge_id
    )


@router.get("/{challenge_id}/progress", response_model=ParticipantOut, summary="My progress in it")
async def my_progress(
    challenge_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ParticipantOut:
    return await service.my_progress(session=session, user=user, challenge_id=challenge_id)


@router.get(
    "/{challenge_id}/leaderboard",
    response_model=LeaderboardOut,
    summary="Participants ranked by progress, then by who got there first",
)
async def leaderboard(
    challenge_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> LeaderboardOut:
    resources = request.app.state.resources
    return await service.leaderboard(
        resources=resources,
        session=session,
        challenge_id=challenge_id,
        limit=min(limit, resources.settings.challenge_leaderboard_max),
    )
