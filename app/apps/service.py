"""Developer apps: registration, secrets, and the OAuth 2.0 client-credentials grant."""

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.apps import queries
from app.apps.models import DeveloperApp
from app.apps.schemas import AppCredentialsOut, AppOut
from app.auth.context import AuthContext
from app.auth.errors import InvalidClient, InvalidScope
from app.auth.schemas import TokenOut
from app.users import queries as user_queries
from app.users.models import Role, User


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _out(app: DeveloperApp) -> AppOut:
    return AppOut(
        id=app.id,
        name=app.name,
        client_id=app.client_id,
        scopes=list(app.scopes),
        created_at=app.created_at,
    )


def _with_secret(app: DeveloperApp, secret: str) -> AppCredentialsOut:
    return AppCredentialsOut(**_out(app).model_dump(), client_secret=secret)


async def create_app(
    *, session: AsyncSession, owner: User, name: str, scopes: list[str]
) -> AppCredentialsOut:
    secret = "cs_" + secrets.token_urlsafe(32)
    app = DeveloperApp(
        id=uuid.uuid4(),
        owner_id=owner.id,
        name=name,
        client_id="app_" + secrets.token_hex(12),
        secret_hash=_hash(secret),
        scopes=scopes,
    )
    await queries.add_app(session, app)
    await session.commit()
    await session.refresh(app)
    return _with_secret(app, secret)


async def list_apps(*, session: AsyncSession, owner: User) -> list[AppOut]:
    return [_out(a) for a in await queries.apps_of(session, owner.id)]


async def rotate_secret(*, session: AsyncSession, app: DeveloperApp) -> AppCredentialsOut:
    """New secret; the old one stops working at once (tokens already issued run out)."""
    secret = "cs_" + secrets.token_urlsafe(32)
    app.secret_hash = _hash(secret)
    await session.commit()
    return _with_secret(app, secret)


async def delete_app(*, session: AsyncSession, auth: AuthContext, app: DeveloperApp) -> None:
    """Soft delete, so the revocation check can still find it; its tokens stop at once."""
    app.revoked_at = datetime.now(UTC)
    await session.commit()
    await auth.tokens.mark_revoked(app.id)


async def client_credentials_grant(
    *,
    session: AsyncSession,
    auth: AuthContext,
    client_id: str,
    client_secret: str,
    scope: str | None,
) -> TokenOut:
    """RFC 6749 section 4.4: an app token with the requested scopes (default: all the app's)."""
    app = await queries.app_by_client_id(session, client_id)
    # compare_digest against a dummy when the app is unknown: no timing hint either way.
    expected = app.secret_hash if app is not None else _hash("unknown-client")
    if not hmac.compare_digest(expected, _hash(client_secret)) or app is None:
        raise InvalidClient("Unknown client or wrong secret")
    owner = await user_queries.get_user(session, app.owner_id)
    if owner is None or not owner.is_active or not owner.has_role(Role.DEVELOPER):
        raise InvalidClient("The app's owner can no longer use developer apps")
    requested = sorted(set(scope.split())) if scope else sorted(app.scopes)
    not_granted = sorted(set(requested) - set(app.scopes))
    if not_granted:
        raise InvalidScope(
            f"Scope(s) not granted to this app: {' '.join(not_granted)}",
            details={"granted": sorted(app.scopes)},
        )
    token, expires_in = auth.tokens.issue_app_token(
        app_id=app.id, owner_id=app.owner_id, client_id=app.client_id, scopes=requested
    )
    return TokenOut(access_token=token, expires_in=expires_in, scope=" ".join(requested))
