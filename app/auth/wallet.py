"""Sign-In With Ethereum: issue nonces, verify signed messages, link or log in.

A nonce lives in Redis bound to the address it was issued for, and is taken with GETDEL:
single use even under concurrent verifies, and gone after `siwe_nonce_seconds`.
"""

import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from eth_utils.address import to_checksum_address
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth import siwe
from app.auth.context import AuthContext
from app.auth.errors import WalletAuthFailed
from app.auth.models import Device
from app.auth.schemas import NonceOut, WalletLinkOut, WalletLoginOut
from app.core.errors import InvalidInput
from app.users import service as user_service
from app.users.models import User

STATEMENT = "Sign in to CyberSpace with this wallet."


def _nonce_key(auth: AuthContext, nonce: str) -> str:
    return f"{auth.key_prefix}:siwe:{nonce}"


async def issue_nonce(*, auth: AuthContext, address: str) -> NonceOut:
    settings = auth.settings
    nonce = secrets.token_hex(16)
    now = datetime.now(UTC).replace(microsecond=0)
    expires_at = now + timedelta(seconds=settings.siwe_nonce_seconds)
    message = siwe.SiweMessage(
        domain=settings.siwe_domain,
        address=to_checksum_address(address),
        statement=STATEMENT,
        uri=settings.siwe_uri,
        version="1",
        chain_id=settings.siwe_chain_id,
        nonce=nonce,
        issued_at=now,
        expiration_time=expires_at,
    )
    await auth.redis.set(_nonce_key(auth, nonce), address.lower(), ex=settings.siwe_nonce_seconds)
    return NonceOut(
        nonce=nonce,
        message=message.to_text(),
        expires_at=expires_at,
        domain=settings.siwe_domain,
        chain_id=settings.siwe_chain_id,
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _refuse(reason: str, message: str) -> WalletAuthFailed:
    return WalletAuthFailed(message, details={"reason": reason})


async def _verified_address(auth: AuthContext, text: str, signature: str) -> str:
    """Every EIP-4361 check; returns the checksummed address that signed."""
    settings = auth.settings
    try:
        message = siwe.parse(text)
    except siwe.SiweError as exc:
        raise InvalidInput(f"Malformed SIWE message: {exc}", details={"field": "message"}) from exc
    if message.domain != settings.siwe_domain:
        raise _refuse("domain", f"Message is for {message.domain!r}, not {settings.siwe_domain!r}")
    if urlsplit(message.uri).netloc != settings.siwe_domain:
        raise _refuse("uri", "Message URI is not on this service's domain")
    if message.chain_id != settings.siwe_chain_id:
        raise _refuse(
            "chain_id", f"Message is for chain {message.chain_id}, not {settings.siwe_chain_id}"
        )
    # Taken before the signature check: a nonce is spent by any attempt that names it.
    issued_for = await auth.redis.getdel(_nonce_key(auth, message.nonce))
    if issued_for is None:
        raise _refuse("nonce", "Nonce unknown, expired or already used: ask for a new one")
    if _text(issued_for) != message.address.lower():
        raise _refuse("nonce", "Nonce was issued for another address")
    now = datetime.now(UTC)
    skew = timedelta(seconds=settings.jwt_leeway_seconds)
    if message.issued_at > now + skew:
        raise _refuse("issued_at", "Message is issued in the future")
    if message.expiration_time is not None and message.expiration_time <= now:
        raise _refuse("expired", "Message has expired")
    if message.not_before is not None and message.not_before > now + skew:
        raise _refuse("not_before", "Message is not valid yet")
    try:
        signer = siwe.recover_signer(text, signature)
    except siwe.SiweError as exc:
        raise _refuse("signature", "Invalid signature") from exc
    if signer != message.address:
        raise _refuse("signature", "Signature was not made by the message's address")
    return signer


async def verify(
    *,
    session: AsyncSession,
    auth: AuthContext,
    message: str,
    signature: str,
    user: User | None,
    device: Device,
    device_label: str | None,
) -> WalletLinkOut | WalletLoginOut:
    """With a user (a bearer token came along): link the address to them. Without: log in
    the account the address is linked to."""
    address = await _verified_address(auth, message, signature)
    if user is not None:
        wallets = await user_service.link_wallet(session=session, user=user, address=address)
        return WalletLinkOut(address=address, wallets=wallets)
    owner = await user_service.user_for_wallet(session=session, address=address)
    if owner is None:
        raise _refuse("not_linked", "No account is linked to this address: link it first")
    tokens = await auth_service.start_session(
        session=session,
        auth=auth,
        user=owner,
        device=device,
        device_label=device_label,
        method="wallet",
    )
    return WalletLoginOut(**tokens.model_dump(), address=address)
