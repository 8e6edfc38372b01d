"""Portal passes: short-lived ES256 JWTs signed with the service keys (the same JWKS as the
access tokens), with their own `typ` and audience so a pass is never an access token and an
access token is never a pass."""

import secrets
import time
import uuid
from typing import Any

from joserfc import jwt

from app.auth.tokens import ALGORITHM, KeyRing
from app.settings import Settings

PASS_TYPE = "nova-pass+jwt"  # noqa: S105 - a media type, not a secret


def issue_pass(
    *,
    keys: KeyRing,
    settings: Settings,
    user_id: uuid.UUID,
    username: str,
    portal_id: uuid.UUID,
    game_url: str,
    nft_id: str | None,
) -> tuple[str, int]:
    now = int(time.time())
    lifetime = settings.portal_pass_seconds
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.portal_pass_audience,
        "sub": str(user_id),
        "preferred_username": username,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(12),
        "portal_id": str(portal_id),
        "game_url": game_url,
    }
    if nft_id is not None:
        claims["nft_id"] = nft_id
    header = {"alg": ALGORITHM, "kid": keys.signing_key.kid, "typ": PASS_TYPE}
    return jwt.encode(header, claims, keys.signing_key, algorithms=[ALGORITHM]), lifetime
