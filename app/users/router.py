"""HTTP routes for profiles, device sessions and roles."""

import uuid

from fastapi import APIRouter, status

from app.auth import service as auth_service
from app.auth.dependencies import AdminUser, AuthDep, CurrentPrincipal, CurrentUser
from app.auth.schemas import SessionOut
from app.core.db import SessionDep
from app.core.events import EventBusDep
from app.users import service
from app.users.schemas import (
    AccountStatusOut,
    ActiveIn,
    ProfilePatch,
    PublicUserOut,
    RolesIn,
    UserOut,
)

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("/me", response_model=UserOut, summary="My profile")
async def me(user: CurrentUser, session: SessionDep) -> UserOut:
    return await service.profile(session=session, user=user)


@router.patch(
    "/me",
    response_model=UserOut,
    summary="Edit my profile (display_name, bio, email; roles are granted by admins only)",
)
async def edit_me(body: ProfilePatch, user: CurrentUser, session: SessionDep) -> UserOut:
    return await service.update_profile(session=session, user=user, patch=body)


@router.get("/me/sessions", response_model=list[SessionOut], summary="My device sessions")
async def my_sessions(
    user: CurrentUser, principal: CurrentPrincipal, session: SessionDep
) -> list[SessionOut]:
    return await auth_service.list_sessions(
        session=session, user=user, current_session_id=principal.session_id
    )


@router.delete(
    "/me/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke one of my device sessions (404 for anyone else's)",
)
async def revoke_my_session(
    session_id: uuid.UUID, user: CurrentUser, session: SessionDep, auth: AuthDep
) -> None:
    await auth_service.revoke_own_session(
        session=session, auth=auth, user=user, session_id=session_id
    )


@router.get("/{username}", response_model=PublicUserOut, summary="A user's public profile")
async def public_profile(username: str, session: SessionDep) -> PublicUserOut:
    return service.public_profile(await service.get_by_username(session=session, username=username))


@router.put(
    "/{username}/roles", response_model=PublicUserOut, summary="Set a user's roles (admins only)"
)
async def set_roles(
    username: str, body: RolesIn, admin: AdminUser, session: SessionDep
) -> PublicUserOut:
    return await service.set_roles(
        session=session, admin=admin, username=username, roles=body.roles
    )


@router.put(
    "/{username}/active",
    response_model=AccountStatusOut,
    summary="Disable or re-enable an account (admins only; disabling ends its sessions and "
    "sockets)",
)
async def set_active(
    username: str,
    body: ActiveIn,
    admin: AdminUser,
    session: SessionDep,
    auth: AuthDep,
    bus: EventBusDep,
) -> AccountStatusOut:
    return await service.set_active(
        session=session, auth=auth, bus=bus, admin=admin, username=username, active=body.active
    )
