"""Sign-In With Ethereum with real eth-account signatures: link, log in, and every refusal."""

from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import siwe
from app.auth.schemas import NonceOut, WalletLinkOut, WalletLoginOut
from tests.factories import bearer, login, make_user


def sign(account: LocalAccount, message: str) -> str:
    return "0x" + account.sign_message(encode_defunct(text=message)).signature.hex().removeprefix(
        "0x"
    )


async def nonce_for(client: AsyncClient, account: LocalAccount) -> NonceOut:
    response = await client.post("/api/auth/wallet/nonce", json={"address": account.address})
    assert response.status_code == 200, response.text
    return NonceOut.model_validate(response.json())


async def link(
    client: AsyncClient, account: LocalAccount, headers: dict[str, str]
) -> WalletLinkOut:
    issued = await nonce_for(client, account)
    response = await client.post(
        "/api/auth/wallet/verify",
        json={"message": issued.message, "signature": sign(account, issued.message)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return WalletLinkOut.model_validate(response.json())


def rewrite(message: str, **changes: object) -> str:
    parsed = siwe.parse(message)
    fields = {f: getattr(parsed, f) for f in parsed.__dataclass_fields__}
    return siwe.SiweMessage(**{**fields, **changes}).to_text()


async def test_link_then_log_in_with_the_wallet(client: AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    headers = bearer((await login(client, user.username))["access_token"])
    account = Account.create()
    issued = await nonce_for(client, account)
    assert issued.domain == "127.0.0.1:8000"
    assert issued.chain_id == 1
    assert f"Nonce: {issued.nonce}" in issued.message
    assert account.address in issued.message

    linked = await link(client, account, headers)
    assert linked.address == account.address
    assert linked.wallets == [account.address]
    me = await client.get("/api/users/me", headers=headers)
    assert me.json()["wallets"] == [account.address]

    login_nonce = await nonce_for(client, account)
    response = await client.post(
        "/api/auth/wallet/verify",
        json={
            "message": login_nonce.message,
            "signature": sign(account, login_nonce.message),
            "device": "vr",
            "device_label": "Quest",
        },
    )
    assert response.status_code == 200, response.text
    tokens = WalletLoginOut.model_validate(response.json())
    assert tokens.refresh_token
    assert tokens.address == account.address
    sessions = await client.get("/api/users/me/sessions", headers=bearer(tokens.access_token))
    assert {(s["device"], s["auth_method"]) for s in sessions.json()} == {
        ("web", "password"),
        ("vr", "wallet"),
    }


async def test_a_replayed_nonce_is_refused(client: AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    headers = bearer((await login(client, user.username))["access_token"])
    account = Account.create()
    issued = await nonce_for(client, account)
    body = {"message": issued.message, "signature": sign(account, issued.message)}
    assert (
        await client.post("/api/auth/wallet/verify", json=body, headers=headers)
    ).status_code == 200
    replay = await client.post("/api/auth/wallet/verify", json=body)
    assert replay.status_code == 401
    assert replay.json()["error"] == {
        "code": "wallet_auth_failed",
        "message": "Nonce unknown, expired or already used: ask for a new one",
        "details": {"reason": "nonce"},
    }


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"domain": "evil.example"}, "domain"),
        ({"chain_id": 5}, "chain_id"),
        ({"uri": "https://evil.example/login"}, "uri"),
        ({"nonce": "abcdefgh12345678"}, "nonce"),
        ({"expiration_time": datetime.now(UTC) - timedelta(seconds=5)}, "expired"),
        ({"not_before": datetime.now(UTC) + timedelta(hours=1)}, "not_before"),
        ({"issued_at": datetime.now(UTC) + timedelta(hours=1)}, "issued_at"),
    ],
)
async def test_messages_for_elsewhere_are_refused(
    client: AsyncClient, session: AsyncSession, changes: dict[str, object], reason: str
) -> None:
    account = Account.create()
    issued = await nonce_for(client, account)
    message = rewrite(issued.message, **changes)
    response = await client.post(
        "/api/auth/wallet/verify", json={"message": message, "signature": sign(account, message)}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["details"]["reason"] == reason


async def test_signature_must_come_from_the_address(client: AsyncClient) -> None:
    victim, attacker = Account.create(), Account.create()
    issued = await nonce_for(client, victim)
    response = await client.post(
        "/api/auth/wallet/verify",
        json={"message": issued.message, "signature": sign(attacker, issued.message)},
    )
    assert response.status_code == 401
    assert response.json()["error"]["details"]["reason"] == "signature"
    # A nonce issued for one address cannot be used by another.
    stolen = await nonce_for(client, victim)
    message = rewrite(stolen.message, address=attacker.address)
    response = await client.post(
        "/api/auth/wallet/verify", json={"message": message, "signature": sign(attacker, message)}
    )
    assert response.json()["error"]["details"]["reason"] == "nonce"


async def test_one_address_one_account(client: AsyncClient, session: AsyncSession) -> None:
    first, second = await make_user(session), await make_user(session)
    account = Account.create()
    await link(client, account, bearer((await login(client, first.username))["access_token"]))
    second_headers = bearer((await login(client, second.username))["access_token"])
    issued = await nonce_for(client, account)
    response = await client.post(
        "/api/auth/wallet/verify",
        json={"message": issued.message, "signature": sign(account, issued.message)},
        headers=second_headers,
    )
    assert response.status_code == 409
    # Linking again to the same account is harmless.
    again = await link(
        client, account, bearer((await login(client, first.username))["access_token"])
    )
    assert again.wallets == [account.address]


async def test_unlinked_wallet_cannot_log_in(client: AsyncClient) -> None:
    account = Account.create()
    issued = await nonce_for(client, account)
    response = await client.post(
        "/api/auth/wallet/verify",
        json={"message": issued.message, "signature": sign(account, issued.message)},
    )
    assert response.status_code == 401
    assert response.json()["error"]["details"]["reason"] == "not_linked"


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hello", "signature": "0x" + "11" * 65},
        {"message": "x", "signature": "0x1234"},
        {"message": "x"},
        {"message": "x", "signature": "0x" + "11" * 65, "role": "admin"},
    ],
)
async def test_malformed_verify_requests_are_422(client: AsyncClient, body: dict[str, str]) -> None:
    response = await client.post("/api/auth/wallet/verify", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


async def test_nonce_needs_an_address(client: AsyncClient) -> None:
    response = await client.post("/api/auth/wallet/nonce", json={"address": "0x123"})
    assert response.status_code == 422


def test_parser_round_trips_and_is_strict() -> None:
    account = Account.create()
    message = siwe.SiweMessage(
        domain="example.com",
        address=account.address,
        statement=None,
        uri="https://example.com/login",
        version="1",
        chain_id=137,
        nonce="a1b2c3d4e5",
        issued_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        request_id="req-1",
        resources=("ipfs://bafy", "https://example.com/terms"),
    )
    text = message.to_text()
    assert "\n\n\nURI: " in text  # no statement: the ABNF's two blank lines
    assert siwe.parse(text) == message
    bad = [
        text.replace(account.address, account.address.lower()),  # not EIP-55
        text.replace("Version: 1", "Version: 2"),
        text.replace("Chain ID: 137", "Chain ID: 0137"),
        text.replace("Nonce: a1b2c3d4e5", "Nonce: short"),
        text.replace("\n", "\r\n"),
        text + "\nExtra: field",
        text.replace("Version: 1\n", ""),
        text.replace("2026-01-02T03:04:05Z", "yesterday"),
    ]
    for candidate in bad:
        with pytest.raises(siwe.SiweError):
            siwe.parse(candidate)
