"""Signed access tokens (ES256 JWTs via joserfc), their verification, and revocation markers.

`TokenService.authenticate(raw)` is the one way in for a bearer token: HTTP dependencies
use it, and so can a Socket.IO connect handler. Every check is cheap: one ES256
verification (~0.2 ms) and one Redis EXISTS for the revocation marker.
"""

import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth import queries
from app.auth.errors import InvalidToken
from app.settings import Settings

log = logging.getLogger("cyberspace.auth")

# The only algorithm accepted. A fixed list means a token cannot choose `none` or HS256
# (with the public key as the HMAC secret): the classic algorithm-confusion attacks.
ALGORITHM = "ES256"
# RFC 9068's type for access tokens: a JWT of another type signed with the same keys (a
# pass, say) is never accepted as an access token.
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a valid access token speaks for."""

    kind: Literal["user", "app"]
    # The user, or for an app token the developer who owns the app (it acts for them).
    user_id: uuid.UUID
    session_id: uuid.UUID | None
    app_id: uuid.UUID | None
    # None for user tokens: a first-party user token may do whatever its user may.
    scopes: frozenset[str] | None
    expires_at: int

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def revocation_id(self) -> uuid.UUID:
        ref = self.session_id if self.kind == "user" else self.app_id
        assert ref is not None
        return ref


class KeyRing:
    """The signing key (current kid) and every key still accepted for verification."""

    def __init__(self, settings: Settings) -> None:
        keys: list[Key] = [
            ECKey.import_key(
                pem.get_secret_value(), parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}
            )
            for kid, pem in settings.jwt_keys.items()
        ]
        self.verify_keys = KeySet(keys)
        self.signing_key = next(k for k in keys if k.kid == settings.jwt_current_kid)
        if not self.signing_key.is_private:
            raise ValueError("JWT_CURRENT_KID must name a private key")

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": ALGORITHM, "kid": self.signing_key.kid, "typ": ACCESS_TOKEN_TYPE}
        return jwt.encode(header, claims, self.signing_key, algorithms=[ALGORITHM])

    def jwks(self) -> dict[str, Any]:
        """Public keys only, for /.well-known/jwks.json."""
        return dict(self.verify_keys.as_dict(private=False))


class TokenService:
    def __init__(
        self,
        *,
        settings: Settings,
        redis: Redis,
        session_factory: async_sessionmaker[AsyncSession],
    ) -> None:
        self.keys = KeyRing(settings)
        self._settings = settings
        self._redis = redis
        self._session_factory = session_factory
        self._claims = jwt.JWTClaimsRegistry(
            leeway=settings.jwt_leeway_seconds,
            iss={"essential": True, "value": settings.jwt_issuer},
            aud={"essential": True, "value": settings.jwt_audience},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            kind={"essential": True, "values": ["user", "app"]},
        )
        self._marker_prefix = f"{settings.auth_key_prefix}:revoked"

    def _claims_for(self, subject: str, lifetime: int, **extra: Any) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
            "sub": subject,
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(12),
            **extra,
        }

    def issue_user_token(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> tuple[str, int]:
        lifetime = self._settings.access_token_seconds
        claims = self._claims_for(str(user_id), lifetime, kind="user", sid=str(session_id))
        return self.keys.sign(claims), lifetime

    def issue_app_token(
        self, *, app_id: uuid.UUID, owner_id: uuid.UUID, client_id: str, scopes: list[str]
    ) -> tuple[str, int]:
        lifetime = self._settings.app_token_seconds
        claims = self._claims_for(
            client_id,
            lifetime,
            kind="app",
            app=str(app_id),
            owner=str(owner_id),
            client_id=client_id,
            scope=" ".join(scopes),
        )
        return self.keys.sign(claims), lifetime

    def verify(self, token: str) -> Principal:
        """Signature, header and claims; no revocation check (see `authenticate`)."""
        try:
            decoded = jwt.decode(token, self.keys.verify_keys, algorithms=[ALGORITHM])
            if decoded.header.get("typ") != ACCESS_TOKEN_TYPE:
                raise InvalidToken("Not an access token")
            self._claims.validate(decoded.claims)
            return _principal(decoded.claims)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            # One message for every failure: which check failed is of use only to an attacker.
            raise InvalidToken("Invalid or expired access token") from exc

    async def authenticate(self, token: str) -> Principal:
        """Verify a raw bearer token and check that its session or app is not revoked."""
        principal = self.verify(token)
        if await self._is_revoked(principal):
            raise InvalidToken("Invalid or expired access token")
        return principal

    async def mark_revoked(self, revocation_id: uuid.UUID) -> None:
        """After the DB says revoked: make live access tokens fail at once. The marker only
        has to outlive the longest-lived token; the DB stays the record."""
        ttl = max(self._settings.access_token_seconds, self._settings.app_token_seconds)
        try:
            await self._redis.set(
                f"{self._marker_prefix}:{revocation_id}",
                1,
                ex=ttl + self._settings.jwt_leeway_seconds,
            )
        except RedisError:
            log.warning("could not set revocation marker; tokens expire on their own")

    async def _is_revoked(self, principal: Principal) -> bool:
        try:
            return bool(
                await self._redis.exists(f"{self._marker_prefix}:{principal.revocation_id}")
            )
        except RedisError:
            # Redis down: ask PostgreSQL rather than let revoked tokens through.
            log.warning("revocation marker unavailable; checking the database")
            async with self._session_factory() as session:
                return await queries.is_revoked(
                    session, kind=principal.kind, ref_id=principal.revocation_id
                )


def _principal(claims: dict[str, Any]) -> Principal:
    if claims["kind"] == "user":
        return Principal(
            kind="user",
            user_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            app_id=None,
            scopes=None,
            expires_at=int(claims["exp"]),
        )
    return Principal(
        kind="app",
        user_id=uuid.UUID(claims["owner"]),
        session_id=None,
        app_id=uuid.UUID(claims["app"]),
        scopes=frozenset(str(claims["scope"]).split()),
        expires_at=int(claims["exp"]),
    )
