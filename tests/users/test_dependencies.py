"""The exported dependency aliases, on a throwaway router: what other domains will use."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import pytest_asyncio
from fastapi import APIRouter, Depends, FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import (
    AdminUser,
    CurrentUser,
    OrganizerUser,
    owned,
    require_role,
    require_scope,
)
from app.users.models import Role, User
from tests.factories import login_headers, make_user


@dataclass
class Geofence:
    id: uuid.UUID
    owner_id: uuid.UUID | None


FENCES: dict[uuid.UUID, Geofence] = {}


async def load_fence(_: AsyncSession, fence_id: uuid.UUID) -> Geofence | None:
    return FENCES.get(fence_id)


OwnedFence = Annotated[
    Geofence,
    Depends(
        owned(
            load_fence, kind="geofence", path_param="fence_id", actor=require_role(Role.ORGANIZER)
        )
    ),
]

router = APIRouter()


@router.get("/t/user")
async def any_user(user: CurrentUser) -> str:
    return user.username


@router.get("/t/organizer")
async def organizer(user: OrganizerUser) -> str:
    return user.username


@router.get("/t/admin")
async def admin(user: AdminUser) -> str:
    return user.username


@router.get("/t/nearby")
async def scoped(user: Annotated[User, Depends(require_scope("nearby:read"))]) -> str:
    return user.username


@router.patch("/t/fences/{fence_id}")
async def edit_fence(fence: OwnedFence) -> str:
    return str(fence.id)


@pytest_asyncio.fixture(loop_scope="session")
async def tclient(app: FastAPI) -> AsyncIterator[AsyncClient]:
    app.include_router(router)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def test_role_aliases(tclient: AsyncClient, session: AsyncSession) -> None:
    player = await make_user(session)
    organizer = await make_user(session, roles=["player", "organizer"])
    admin = await make_user(session, roles=["admin"])
    expected = {
        player.username: {"/t/user": 200, "/t/organizer": 403, "/t/admin": 403, "/t/nearby": 200},
        organizer.username: {"/t/user": 200, "/t/organizer": 200, "/t/admin": 403},
        # Admins pass every role check.
        admin.username: {"/t/user": 200, "/t/organizer": 200, "/t/admin": 200},
    }
    for user in (player, organizer, admin):
        headers = await login_headers(tclient, user)
        for path, status in expected[user.username].items():
            assert (await tclient.get(path, headers=headers)).status_code == status, (
                user.roles,
                path,
            )


async def test_owned_organizer_object(tclient: AsyncClient, session: AsyncSession) -> None:
    mine_owner = await make_user(session, roles=["player", "organizer"])
    other_organizer = await make_user(session, roles=["player", "organizer"])
    player = await make_user(session)
    fence = Geofence(uuid.uuid4(), mine_owner.id)
    FENCES[fence.id] = fence
    path = f"/t/fences/{fence.id}"
    assert (
        await tclient.patch(path, headers=await login_headers(tclient, mine_owner))
    ).status_code == 200
    assert (
        await tclient.patch(path, headers=await login_headers(tclient, other_organizer))
    ).status_code == 403
    # A player fails the role check before ownership is looked at.
    assert (
        await tclient.patch(path, headers=await login_headers(tclient, player))
    ).status_code == 403
    missing = f"/t/fences/{uuid.uuid4()}"
    assert (
        await tclient.patch(missing, headers=await login_headers(tclient, mine_owner))
    ).status_code == 404
    assert (
        await tclient.patch("/t/fences/nope", headers=await login_headers(tclient, mine_owner))
    ).status_code == 422
