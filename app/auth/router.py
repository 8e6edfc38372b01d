"""HTTP routes for logging in and out: OAuth 2.0 token endpoint, refresh, SIWE, JWKS."""

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Form, Header, Response, status

from app.apps import service as apps_service
from app.auth import service, wallet
from app.auth.dependencies import AuthDep, ClientIp, CurrentPrincipal, OptionalUser, ip_limit
from app.auth.errors import InvalidClient, UnsupportedGrantType
from app.auth.models import Device
from app.auth.schemas import (
    NonceIn,
    NonceOut,
    RefreshIn,
    TokenOut,
    WalletLinkOut,
    WalletLoginOut,
    WalletVerifyIn,
)
from app.core.db import SessionDep
from app.core.errors import InvalidInput
from app.users import service as user_service
from app.users.schemas import RegisterIn, UserOut

router = APIRouter(prefix="/api/auth", tags=["auth"])
wellknown_router = APIRouter(tags=["auth"])

# RFC 6749 section 5.1: token responses must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post(
    "/register",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(ip_limit("register"))],
    summary="Create an account (role: player)",
)
async def register(body: RegisterIn, session: SessionDep, auth: AuthDep) -> UserOut:
    user = await user_service.register(
        session=session,
        passwords=auth.passwords,
        username=body.username,
        email=body.email,
        password=body.password,
    )
    return await user_service.profile(session=session, user=user)


def _basic_client(authorization: str | None) -> tuple[str, str] | None:
    """RFC 6749 section 2.3.1: client credentials in HTTP Basic, form-urlencoded inside."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        client_id, _, secret = decoded.partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient("Malformed Basic credentials") from exc
    return unquote(client_id), unquote(secret)


def _required(**fields: str | None) -> dict[str, str]:
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise InvalidInput(f"Missing: {', '.join(missing)}", details={"fields": missing})
    return {name: value for name, value in fields.items() if value}


@router.post(
    "/token",
    response_model=TokenOut,
    response_model_exclude_none=True,
    dependencies=[Depends(ip_limit("token"))],
    summary="OAuth 2.0 token endpoint: password, refresh_token and client_credentials grants",
)
async def token(
    response: Response,
    session: SessionDep,
    auth: AuthDep,
    ip: ClientIp,
    grant_type: Annotated[str, Form()],
    username: Annotated[str | None, Form(max_length=254)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    device: Annotated[Device, Form(description="web, mobile or vr")] = Device.WEB,
    device_label: Annotated[str | None, Form(min_length=1, max_length=64)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str | None, Form(max_length=500)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> TokenOut:
    response.headers.update(NO_STORE)
    if grant_type == "password":
        creds = _required(username=username, password=password)
        return await service.password_grant(
            session=session,
            auth=auth,
            username=creds["username"],
            password=creds["password"],
            device=device,
            device_label=device_label,
            client_ip=ip,
        )
    if grant_type == "refresh_token":
        creds = _required(refresh_token=refresh_token)
        return await service.refresh(
            session=session, auth=auth, refresh_token=creds["refresh_token"]
        )
    if grant_type == "client_credentials":
        basic = _basic_client(authorization)
        creds = _required(
            client_id=basic[0] if basic else client_id,
            client_secret=basic[1] if basic else client_secret,
        )
        return await apps_service.client_credentials_grant(
            session=session,
            auth=auth,
            client_id=creds["client_id"],
            client_secret=creds["client_secret"],
            scope=scope,
        )
    raise UnsupportedGrantType(
        f"Unsupported grant_type {grant_type!r}",
        details={"supported": ["password", "refresh_token", "client_credentials"]},
    )


@router.post(
    "/refresh",
    response_model=TokenOut,
    response_model_exclude_none=True,
    dependencies=[Depends(ip_limit("token"))],
    summary="Rotate a refresh token (each works once; reuse revokes the device session)",
)
async def refresh(
    body: RefreshIn, response: Response, session: SessionDep, auth: AuthDep
) -> TokenOut:
    response.headers.update(NO_STORE)
    return await service.refresh(session=session, auth=auth, refresh_token=body.refresh_token)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the current device session"
)
async def logout(principal: CurrentPrincipal, session: SessionDep, auth: AuthDep) -> None:
    await service.logout(session=session, auth=auth, principal=principal)


@router.post(
    "/wallet/nonce",
    response_model=NonceOut,
    dependencies=[Depends(ip_limit("wallet"))],
    summary="A single-use nonce and the EIP-4361 message to sign",
)
async def wallet_nonce(body: NonceIn, auth: AuthDep) -> NonceOut:
    return await wallet.issue_nonce(auth=auth, address=body.address)


@router.post(
    "/wallet/verify",
    response_model=WalletLinkOut | WalletLoginOut,
    response_model_exclude_none=True,
    dependencies=[Depends(ip_limit("wallet"))],
    summary="With a bearer token: link the wallet. Without: log in with it",
)
async def wallet_verify(
    body: WalletVerifyIn, response: Response, user: OptionalUser, session: SessionDep, auth: AuthDep
) -> WalletLinkOut | WalletLoginOut:
    response.headers.update(NO_STORE)
    return await wallet.verify(
        session=session,
        auth=auth,
        message=body.message,
        signature=body.signature,
        user=user,
        device=body.device,
        device_label=body.device_label,
    )


@wellknown_router.get("/.well-known/jwks.json", summary="Public keys that verify our JWTs")
async def jwks(auth: AuthDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return auth.tokens.keys.jwks()
