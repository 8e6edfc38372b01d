"""Redis rate limits and the bounded lockout, against real Redis with tight settings."""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from tests.auth.conftest import AppFactory
from tests.factories import PASSWORD, client_from, make_user


def password_form(username: str, password: str) -> dict[str, str]:
    return {"grant_type": "password", "username": username, "password": password}


async def test_per_ip_limit_answers_429_with_retry_after(
    app_with: AppFactory, session: AsyncSession
) -> None:
    async with app_with(auth_ip_limit=3, auth_ip_window_seconds=60) as app:
        async with client_from(app, "198.51.100.1") as client:
            statuses = [
                (await client.post("/api/auth/token", data={"grant_type": "nope"})).status_code
                for _ in range(4)
            ]
            assert statuses == [400, 400, 400, 429]
            limited = await client.post("/api/auth/token", data={"grant_type": "nope"})
            assert limited.status_code == 429
            assert 0 < int(limited.headers["retry-after"]) <= 60
            error = limited.json()["error"]
            assert error["code"] == "rate_limited"
            assert error["details"]["retry_after"] > 0
        # Another address has its own budget.
        async with client_from(app, "198.51.100.2") as elsewhere:
            ok = await elsewhere.post("/api/auth/token", data={"grant_type": "nope"})
            assert ok.status_code == 400


async def test_lockout_hits_the_guessing_ip_only_and_expires(
    app_with: AppFactory, session: AsyncSession
) -> None:
    victim = await make_user(session)
    settings = {"login_failures_before_lockout": 3, "lockout_base_seconds": 1}
    async with app_with(**settings) as app:
        async with client_from(app, "203.0.113.66") as attacker:
            for _ in range(3):
                wrong = await attacker.post(
                    "/api/auth/token", data=password_form(victim.username, "guess!guess")
                )
                assert wrong.status_code == 400
            locked = await attacker.post(
                "/api/auth/token", data=password_form(victim.username, PASSWORD)
            )
            assert locked.status_code == 429
            assert locked.headers["retry-after"] == "1"
            # Any case of the name is the same account.
            upper = await attacker.post(
                "/api/auth/token", data=password_form(victim.username.upper(), PASSWORD)
            )
            assert upper.status_code == 429
        # The victim, elsewhere, is not locked out at all.
        async with client_from(app, "192.0.2.10") as owner:
            ok = await owner.post("/api/auth/token", data=password_form(victim.username, PASSWORD))
            assert ok.status_code == 200
        # And the lock runs out on its own.
        await asyncio.sleep(1.1)
        async with client_from(app, "203.0.113.66") as attacker:
            ok = await attacker.post(
                "/api/auth/token", data=password_form(victim.username, PASSWORD)
            )
            assert ok.status_code == 200


async def test_repeat_lockouts_double_up_to_the_cap(
    app_with: AppFactory, session: AsyncSession
) -> None:
    user = await make_user(session)
    settings = {
        "login_failures_before_lockout": 1,
        "lockout_base_seconds": 20,
        "lockout_max_seconds": 50,
    }
    async with app_with(**settings) as app:
        limiter = app.state.resources.auth.limiter
        seen = []
        for _ in range(4):
            await limiter.record_failure(user.username, "203.0.113.5")
            async with client_from(app, "203.0.113.5") as client:
                response = await client.post(
                    "/api/auth/token", data=password_form(user.username, PASSWORD)
                )
            seen.append(int(response.headers["retry-after"]))
        assert seen == [20, 40, 50, 50]


async def test_account_limit_spares_addresses_the_owner_used_before(
    app_with: AppFactory, session: AsyncSession
) -> None:
    user = await make_user(session)
    async with app_with(auth_account_limit=3, login_failures_before_lockout=100) as app:
        async with client_from(app, "192.0.2.10") as home:
            assert (
                await home.post("/api/auth/token", data=password_form(user.username, PASSWORD))
            ).status_code == 200
        # A botnet: each address guesses once; the account's budget for unknown IPs (3, of
        # which the owner's first login from home used one) runs out.
        statuses = []
        for i in range(5):
            async with client_from(app, f"203.0.113.{i + 1}") as bot:
                response = await bot.post(
                    "/api/auth/token", data=password_form(user.username, "guess!guess")
                )
                statuses.append(response.status_code)
        assert statuses == [400, 400, 429, 429, 429]
        async with client_from(app, "198.51.100.200") as new_device:
            blocked = await new_device.post(
                "/api/auth/token", data=password_form(user.username, PASSWORD)
            )
            assert blocked.status_code == 429
        # The owner's known address still gets in.
        async with client_from(app, "192.0.2.10") as home:
            assert (
                await home.post("/api/auth/token", data=password_form(user.username, PASSWORD))
            ).status_code == 200


async def test_register_and_wallet_endpoints_are_limited(app_with: AppFactory) -> None:
    async with app_with(auth_ip_limit=2) as app, client_from(app, "198.51.100.9") as client:
        for _ in range(2):
            await client.post("/api/auth/register", json={})
        assert (await client.post("/api/auth/register", json={})).status_code == 429
        for _ in range(2):
            await client.post("/api/auth/wallet/nonce", json={})
        assert (await client.post("/api/auth/wallet/nonce", json={})).status_code == 429
