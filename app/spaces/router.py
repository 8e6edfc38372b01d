"""HTTP routes of spaces (thin: parse, call one service function, return)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth.dependencies import CurrentUser, OptionalUser
from app.core.db import SessionDep
from app.core.events import EventBusDep
from app.placements.dependencies import NearbyLimitsDep, PlacementSyncDep
from app.spaces import membership, service
from app.spaces.schemas import (
    AssetIn,
    AssetListOut,
    AssetOut,
    InvitationIn,
    InvitationListOut,
    InvitationOut,
    MemberListOut,
    MemberOut,
    SpaceCreatedOut,
    SpaceCreateIn,
    SpaceListOut,
    SpaceOut,
    SpacePatch,
)

router = APIRouter(prefix="/api/spaces", tags=["spaces"])

Lat = Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)]
Lng = Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)]


@router.post(
    "/create",
    response_model=SpaceCreatedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a space (the seed's call); user_id is the caller's id or username",
)
async def create_space(
    body: SpaceCreateIn, user: CurrentUser, session: SessionDep, sync: PlacementSyncDep
) -> SpaceCreatedOut:
    space = await service.create_space(session=session, sync=sync, actor=user, body=body)
    return SpaceCreatedOut(space_id=str(space.id))


@router.get("/nearby", response_model=SpaceListOut, summary="Anchored spaces near a point")
async def nearby_spaces(
    session: SessionDep,
    limits: NearbyLimitsDep,
    viewer: OptionalUser,
    lat: Lat,
    lng: Lng,
    radius_m: Annotated[float, Query(gt=0, allow_inf_nan=False)] = 1000.0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SpaceListOut:
    items = await service.nearby_spaces(
        session=session,
        limits=limits,
        viewer=viewer,
        lat=lat,
        lng=lng,
        radius_m=radius_m,
        limit=limit,
    )
    return SpaceListOut(items=items, count=len(items))


@router.get("/mine", response_model=SpaceListOut, summary="Spaces I own or belong to")
async def my_spaces(session: SessionDep, user: CurrentUser) -> SpaceListOut:
    items = await service.my_spaces(session=session, user=user)
    return SpaceListOut(items=items, count=len(items))


@router.get("/invitations", response_model=InvitationListOut, summary="My pending invitations")
async def my_invitations(session: SessionDep, user: CurrentUser) -> InvitationListOut:
    items = await membership.my_invitations(session=session, user=user)
    return InvitationListOut(items=items, count=len(items))


@router.get("/{space_id}", response_model=SpaceOut)
async def get_space(space_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> SpaceOut:
    return await service.get_space(session=session, viewer=viewer, space_id=space_id)


@router.patch("/{space_id}", response_model=SpaceOut, summary="Edit a space (owner)")
async def update_space(
    space_id: uuid.UUID,
    patch: SpacePatch,
    user: CurrentUser,
    session: SessionDep,
    sync: PlacementSyncDep,
    bus: EventBusDep,
) -> SpaceOut:
    return await service.update_space(
        session=session, sync=sync, bus=bus, actor=user, space_id=space_id, patch=patch
    )


@router.delete("/{space_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete (owner)")
async def delete_space(
    space_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    sync: PlacementSyncDep,
    bus: EventBusDep,
) -> Response:
    await service.delete_space(session=session, sync=sync, bus=bus, actor=user, space_id=space_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{space_id}/members", response_model=MemberListOut)
async def list_members(
    space_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> MemberListOut:
    items = await membership.list_members(session=session, viewer=user, space_id=space_id)
    return MemberListOut(items=items, count=len(items))


@router.post(
    "/{space_id}/join",
    response_model=MemberOut,
    summary="Become a member (public spaces, or with a pending invitation)",
)
async def join_space(space_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> MemberOut:
    return await membership.join(session=session, user=user, space_id=space_id)


@router.post("/{space_id}/leave", status_code=status.HTTP_204_NO_CONTENT)
async def leave_space(
    space_id: uuid.UUID, user: CurrentUser, session: SessionDep, bus: EventBusDep
) -> Response:
    await membership.leave(session=session, bus=bus, user=user, space_id=space_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{space_id}/members/{user_ref}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    space_id: uuid.UUID, user_ref: str, user: CurrentUser, session: SessionDep, bus: EventBusDep
) -> Response:
    await membership.remove_member(
        session=session, bus=bus, actor=user, space_id=space_id, user_ref=user_ref
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{space_id}/invitations",
    response_model=InvitationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Invite a user (owner)",
)
async def invite(
    space_id: uuid.UUID, body: InvitationIn, user: CurrentUser, session: SessionDep
) -> InvitationOut:
    return await membership.invite(
        session=session, actor=user, space_id=space_id, user_ref=body.user_id
    )


@router.post("/{space_id}/invitations/accept", response_model=MemberOut)
async def accept_invitation(
    space_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> MemberOut:
    return await membership.join(session=session, user=user, space_id=space_id)


@router.post("/{space_id}/invitations/decline", status_code=status.HTTP_204_NO_CONTENT)
async def decline_invitation(
    space_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Response:
    await membership.decline(session=session, user=user, space_id=space_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{space_id}/invitations/{user_ref}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(
    space_id: uuid.UUID, user_ref: str, user: CurrentUser, session: SessionDep, bus: EventBusDep
) -> Response:
    await membership.revoke_invitation(
        session=session, bus=bus, actor=user, space_id=space_id, user_ref=user_ref
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{space_id}/assets", response_model=AssetListOut)
async def list_assets(
    space_id: uuid.UUID, viewer: OptionalUser, session: SessionDep
) -> AssetListOut:
    items = await membership.list_assets(session=session, viewer=viewer, space_id=space_id)
    return AssetListOut(items=items, count=len(items))


@router.post(
    "/{space_id}/assets",
    response_model=AssetOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a 3D asset (owner)",
)
async def add_asset(
    space_id: uuid.UUID, body: AssetIn, user: CurrentUser, session: SessionDep
) -> AssetOut:
    return await membership.add_asset(session=session, actor=user, space_id=space_id, body=body)


@router.delete("/{space_id}/assets/{asset_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_asset(
    space_id: uuid.UUID, asset_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Response:
    await membership.delete_asset(session=session, actor=user, space_id=space_id, asset_id=asset_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
