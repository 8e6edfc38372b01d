"""Access tokens: what is accepted, what is refused (always 401 with the error body)."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from joserfc import jwt
from joserfc.jwk import ECKey
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.errors import InvalidToken
from app.auth.tokens import TokenService
from app.settings import DEV_JWT_KID, DEV_JWT_PRIVATE_KEY, Settings
from tests.auth.conftest import AppFactory
from tests.factories import bearer, client_from, login, make_user


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(app: FastAPI, **overrides: object) -> dict[str, object]:
    settings: Settings = app.state.resources.settings
    now = int(time.time())
    return {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "kind": "user",
        "iat": now,
        "exp": now + 300,
        **overrides,
    }


def _sign(
    claims: dict[str, object], key: ECKey, *, kid: str = DEV_JWT_KID, typ: str = "at+jwt"
) -> str:
    return jwt.encode({"alg": "ES256", "kid": kid, "typ": typ}, claims, key, algorithms=["ES256"])


DEV_KEY = ECKey.import_key(DEV_JWT_PRIVATE_KEY)


async def _assert_401(client: AsyncClient, token: str) -> None:
    response = await client.get("/api/users/me", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] in {"invalid_token", "unauthorized"}


async def test_a_valid_token_works_and_names_its_session(
    client: AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    tokens = await login(client, user.username)
    header = json.loads(base64.urlsafe_b64decode(tokens["access_token"].split(".")[0] + "=="))
    assert header == {"typ": "at+jwt", "alg": "ES256", "kid": DEV_JWT_KID}
    me = await client.get("/api/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == user.username


async def test_missing_and_malformed_headers_are_401(client: AsyncClient) -> None:
    missing = await client.get("/api/users/me")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    for token in ["garbage", "a.b.c", "", "Bearer"]:
        await _assert_401(client, token)
    basic = await client.get("/api/users/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert basic.status_code == 401


async def test_tampered_token_is_refused(client: AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    other = await make_user(session)
    token = (await login(client, user.username))["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(other.id)  # try to become someone else
    await _assert_401(client, f"{header}.{_b64(claims)}.{signature}")
    flipped = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    await _assert_401(client, f"{header}.{payload}.{flipped}")


async def test_expired_token_is_refused(app: FastAPI, client: AsyncClient) -> None:
    past = int(time.time()) - 3600
    await _assert_401(client, _sign(_claims(app, iat=past, exp=past + 600), DEV_KEY))


async def test_alg_none_is_refused(app: FastAPI, client: AsyncClient) -> None:
    for alg in ["none", "None", "HS256"]:
        unsigned = (
            f"{_b64({'alg': alg, 'typ': 'at+jwt', 'kid': DEV_JWT_KID})}.{_b64(_claims(app))}."
        )
        await _assert_401(client, unsigned)


async def test_hs256_signed_with_the_public_key_is_refused(
    app: FastAPI, client: AsyncClient
) -> None:
    # Algorithm confusion: an HMAC "signature" keyed with the published public key.
    signing_input = (
        f"{_b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': DEV_JWT_KID})}.{_b64(_claims(app))}"
    )
    mac = hmac.new(DEV_KEY.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    await _assert_401(client, f"{signing_input}.{signature}")


async def test_token_signed_with_another_key_is_refused(app: FastAPI, client: AsyncClient) -> None:
    stranger = ECKey.generate_key("P-256")
    await _assert_401(client, _sign(_claims(app), stranger))  # claims our kid
    await _assert_401(client, _sign(_claims(app), stranger, kid="attacker"))


@pytest.mark.parametrize(
    "override",
    [
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"iat": None},
        {"exp": None},
        {"kind": "superuser"},
        {"sub": "not-a-uuid"},
    ],
)
async def test_wrong_claims_are_refused(
    app: FastAPI, client: AsyncClient, override: dict[str, object]
) -> None:
    claims = {k: v for k, v in _claims(app, **override).items() if v is not None}
    await _assert_401(client, _sign(claims, DEV_KEY))


async def test_a_jwt_of_another_type_is_not_an_access_token(
    app: FastAPI, client: AsyncClient
) -> None:
    await _assert_401(client, _sign(_claims(app), DEV_KEY, typ="JWT"))


async def test_key_rotation_keeps_old_tokens_valid_and_publishes_both(
    app_with: AppFactory, session: AsyncSession
) -> None:
    user = await make_user(session)
    new_key = ECKey.generate_key("P-256")
    rotated = {
        "jwt_keys": {
            DEV_JWT_KID: DEV_JWT_PRIVATE_KEY,
            # The previous key may be given as a public key only: it just verifies.
            "old-1": ECKey.generate_key("P-256").as_pem(private=False).decode(),
            "new-1": new_key.as_pem(private=True).decode(),
        },
        "jwt_current_kid": "new-1",
    }
    async with app_with() as before, client_from(before, "127.0.0.1") as c1:
        old_token = (await login(c1, user.username))["access_token"]
    async with app_with(**rotated) as after, client_from(after, "127.0.0.1") as c2:
        assert (await c2.get("/api/users/me", headers=bearer(old_token))).status_code == 200
        new_token = (await login(c2, user.username))["access_token"]
        header = json.loads(base64.urlsafe_b64decode(new_token.split(".")[0] + "=="))
        assert header["kid"] == "new-1"
        assert (await c2.get("/api/users/me", headers=bearer(new_token))).status_code == 200
        jwks = (await c2.get("/.well-known/jwks.json")).json()
        assert {k["kid"] for k in jwks["keys"]} == {DEV_JWT_KID, "old-1", "new-1"}
        assert all("d" not in k for k in jwks["keys"]), "private parts must never be published"


async def test_authenticate_raw_token_for_non_http_callers(
    app: FastAPI, client: AsyncClient, session: AsyncSession
) -> None:
    # What a Socket.IO connect handler will call.
    tokens: TokenService = app.state.resources.auth.tokens
    user = await make_user(session)
    raw = (await login(client, user.username))["access_token"]
    principal = await tokens.authenticate(raw)
    assert principal.kind == "user"
    assert principal.user_id == user.id
    assert principal.session_id is not None
    assert principal.has_scope("placements:write")
    with pytest.raises(InvalidToken):
        await tokens.authenticate(raw + "x")


def test_production_refuses_the_development_key() -> None:
    with pytest.raises(ValueError, match="JWT_KEYS"):
        Settings(environment="production")
    key = ECKey.generate_key("P-256").as_pem(private=True).decode()
    # Other domains may refuse other defaults; JWT_KEYS must no longer be among them.
    error = ""
    try:
        Settings(environment="production", jwt_keys={"prod-1": key}, jwt_current_kid="prod-1")
    except ValueError as exc:
        error = str(exc)
    assert "JWT_KEYS" not in error
    with pytest.raises(ValueError, match="JWT_CURRENT_KID"):
        Settings(environment="test", jwt_current_kid="missing")


async def test_revocation_falls_back_to_the_database_when_redis_is_down(
    app: FastAPI,
    client: AsyncClient,
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    user = await make_user(session)
    live = (await login(client, user.username))["access_token"]
    ended = await login(client, user.username)
    assert (
        await client.post("/api/auth/logout", headers=bearer(ended["access_token"]))
    ).status_code == 204
    # A real client aimed at a port where nothing listens: every Redis call fails.
    dead_redis = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    settings: Settings = app.state.resources.settings
    tokens = TokenService(settings=settings, redis=dead_redis, session_factory=session_factory)
    try:
        assert (await tokens.authenticate(live)).user_id == user.id
        with pytest.raises(InvalidToken):
            await tokens.authenticate(ended["access_token"])
    finally:
        await dead_redis.aclose()
