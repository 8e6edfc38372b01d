"""FastAPI dependencies for identity and access, for every domain's routers.

ip_limit(scope)   per-IP rate limit for a route (429 with Retry-After)
CurrentUser       a user token's active user (401 without, 403 for an app token)
OrganizerUser     ... who is an organizer (or admin)
DeveloperUser     ... who is a developer (or admin)
AdminUser         ... who is an admin
require_scope(s)  the acting user of a user token, or of an app token holding scope `s`
owned(...)        loads the object named in the path and applies `ensure_owner`
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth.context import AuthContext
from app.auth.errors import InsufficientScope, InvalidToken
from app.auth.permissions import Owned, ensure_owner
from app.auth.scopes import SCOPES
from app.auth.tokens import Principal
from app.core.db import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.users import queries as user_queries
from app.users.models import Role, User

# Declares the bearer scheme in OpenAPI (the docs' Authorize button logs in through the
# token endpoint); auto_error=False so a missing token gets our 401 body, not Starlette's.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_auth(request: Request) -> AuthContext:
    auth: AuthContext = request.app.state.resources.auth
    return auth


AuthDep = Annotated[AuthContext, Depends(get_auth)]


def get_client_ip(request: Request) -> str:
    # Behind a proxy, run uvicorn with --proxy-headers/--forwarded-allow-ips so this is the
    # real client; never trust X-Forwarded-For here.
    return request.client.host if request.client else "unknown"


ClientIp = Annotated[str, Depends(get_client_ip)]


def ip_limit(scope: str) -> Callable[[AuthContext, str], Awaitable[None]]:
    """Route dependency: count the request against the client IP's budget for `scope`."""

    async def dependency(auth: AuthDep, ip: ClientIp) -> None:
        await auth.limiter.hit_ip(scope, ip)

    return dependency


async def get_optional_principal(
    auth: AuthDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal | None:
    """None without an Authorization header; a bad token is still a 401, never anonymous."""
    if token is None:
        return None
    return await auth.tokens.authenticate(token)


async def get_principal(
    principal: Annotated[Principal | None, Depends(get_optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized("Bearer token required")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


async def _active_user(session: SessionDep, user_id: uuid.UUID) -> User:
    user = await user_queries.get_user(session, user_id)
    if user is None or not user.is_active:
        raise InvalidToken("Account not found or disabled")
    return user


async def get_current_user(principal: CurrentPrincipal, session: SessionDep) -> User:
    if principal.kind != "user":
        raise Forbidden("This endpoint needs a user's token, not an app token")
    return await _active_user(session, principal.user_id)


async def get_optional_user(principal: OptionalPrincipal, session: SessionDep) -> User | None:
    return None if principal is None else await get_current_user(principal, session)


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def require_role(role: Role) -> Callable[[User], Awaitable[User]]:
    async def dependency(user: CurrentUser) -> User:
        if not (user.has_role(role) or user.is_admin):
            raise Forbidden(f"Requires the {role.value} role", details={"role": role.value})
        return user

    return dependency


OrganizerUser = Annotated[User, Depends(require_role(Role.ORGANIZER))]
DeveloperUser = Annotated[User, Depends(require_role(Role.DEVELOPER))]
AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]


def require_scope(scope: str) -> Callable[[Principal, SessionDep], Awaitable[User]]:
    """The user a write acts for: a user token's user, or an app token's owner if the app
    token holds `scope`. Use as `Annotated[User, Depends(require_scope("placements:write"))]`."""
    if scope not in SCOPES:
        raise ValueError(f"Unknown scope {scope!r}: add it to app/auth/scopes.py")

    async def dependency(principal: CurrentPrincipal, session: SessionDep) -> User:
        if not principal.has_scope(scope):
            raise InsufficientScope(
                f"This token lacks the {scope} scope", details={"required_scope": scope}
            )
        return await _active_user(session, principal.user_id)

    return dependency


OwnedT = TypeVar("OwnedT", bound=Owned)


def owned(
    load: Callable[..., Awaitable[OwnedT | None]],
    *,
    kind: str,
    path_param: str,
    actor: Callable[..., Awaitable[User]] = get_current_user,
    hide: bool = False,
) -> Callable[..., Awaitable[OwnedT]]:
    """A dependency that loads `load(session, id)` for the `{path_param}` in the route and
    lets through only its owner or an admin (see app/auth/permissions.py for 403 vs 404).

        OwnedPlacement = Annotated[Placement, Depends(owned(queries.get_placement,
                                   kind="placement", path_param="placement_id"))]
    """

    async def dependency(
        object_id: Annotated[uuid.UUID, Path(alias=path_param)],
        user: Annotated[User, Depends(actor)],
        session: SessionDep,
    ) -> OwnedT:
        return ensure_owner(user, await load(session, object_id), kind=kind, hide=hide)

    return dependency
