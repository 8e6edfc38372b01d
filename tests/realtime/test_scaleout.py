"""Two real service processes (uvicorn subprocesses, same database and Redis): a client on
process B receives what happens on process A, through python-socketio's Redis manager."""

import asyncio
import contextlib
import os
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.auth.tokens import TokenService
from app.settings import Settings
from app.users.models import User
from tests.factories import bearer, make_user
from tests.realtime.conftest import MUNICH, Fixes, connect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    url: str
    proc: asyncio.subprocess.Process


async def start_process(env: dict[str, str]) -> Process:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "app.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(base_url=url) as http:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"service process exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/healthz")).status_code == 200:
                    return Process(url, proc)
            await asyncio.sleep(0.2)
    proc.kill()
    raise RuntimeError("service process did not start")


@pytest_asyncio.fixture
async def two_processes(
    test_settings: Settings, migrated_database: str
) -> AsyncIterator[tuple[Process, Process, str]]:
    prefix = f"{test_settings.redis_channel_prefix}-2p-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": migrated_database,
        "REDIS_URL": test_settings.redis_url,
        "REDIS_CHANNEL_PREFIX": prefix,
        "PLACEMENT_INDEX_POLL_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "3",
        "SOCKETIO_MANAGER": "redis",
    }
    started: list[Process] = []
    try:
        # Started together: each spends most of its start-up importing and loading.
        started.extend(await asyncio.gather(start_process(env), start_process(env)))
        yield started[0], started[1], prefix
    finally:
        for p in started:
            if p.proc.returncode is None:
                p.proc.terminate()
        for p in started:
            try:
                await asyncio.wait_for(p.proc.wait(), timeout=15)
            except TimeoutError:
                p.proc.kill()
                await p.proc.wait()


@pytest.mark.slow
async def place_nft(
    http: httpx.AsyncClient, token: str, title: str, at: tuple[float, float]
) -> str:
    r = await http.post(
        "/api/placements",
        json={"kind": "nft", "title": title, "lat": at[0], "lng": at[1]},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    placement_id: str = r.json()["id"]
    return placement_id


async def test_an_alert_caused_on_a_reaches_a_client_on_b(
    two_processes: tuple[Process, Process, str],
    engine: AsyncEngine,
    test_settings: Settings,
    redis_client: Redis,
) -> None:
    a, b, _ = two_processes
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        users: list[User] = [await make_user(session) for _ in range(3)]
        await session.commit()
    tokens = TokenService(settings=test_settings, redis=redis_client, session_factory=sessions)

    def token(user: User) -> str:
        return tokens.issue_user_token(user_id=user.id, session_id=uuid.uuid4())[0]

    player, speaker, listener = users
    on_b = await connect(b.url, token(player))
    listener_b = await connect(b.url, token(listener))
    speaker_a = await connect(a.url, token(speaker))
    try:
        async with httpx.AsyncClient(base_url=a.url) as http:
            # An NFT placed through process A ...
            nft_id = await place_nft(http, token(speaker), "Sword", MUNICH)
            # ... and the player's approach reported to process A over REST.
            fixes = Fixes()
            for lat in (MUNICH[0] + 0.01, MUNICH[0] + 0.0003):
                r = await http.post(
                    "/api/locations",
                    json=fixes.at(lat, MUNICH[1]),
                    headers=bearer(token(player)),
                )
                assert r.status_code == 200, r.text
        alert = await on_b.wait_for("proximity_alert", lambda d: d["id"] == nft_id, within=20)
        assert alert["kind"] == "nft"

        # A space message sent on A is emitted by A's process and arrives on B.
        async with httpx.AsyncClient(base_url=a.url) as http:
            r = await http.post(
                "/api/spaces/create",
                json={"user_id": str(speaker.id), "space_name": "Hub", "access_type": "public"},
                headers=bearer(token(speaker)),
            )
            space_id = r.json()["space_id"]
        ack = await listener_b.call(
            "join_space", {"user_id": str(listener.id), "space_id": space_id}
        )
        assert ack["ok"] is True
        ack = await speaker_a.call("join_space", {"user_id": str(speaker.id), "space_id": space_id})
        assert ack["ok"] is True
        await speaker_a.call("space_message", {"space_id": space_id, "text": "across processes"})
        got = await listener_b.wait_for("space_message", within=20)
        assert got["text"] == "across processes"

        # The player's second device, on A, reports over Socket.IO: A applies the fix itself
        # (not through the stream), and the alert still reaches the first device on B.
        south = (MUNICH[0] - 0.003, MUNICH[1])
        async with httpx.AsyncClient(base_url=a.url) as http:
            shield_id = await place_nft(http, token(speaker), "Shield", south)
        second_device = await connect(a.url, token(player))
        try:
            ack = await second_device.call("location_update", fixes.at(*south))
            assert ack["ok"] is True, ack
            assert ack["accepted"] is True, ack
            for device in (on_b, second_device):
                alert = await device.wait_for(
                    "proximity_alert", lambda d: d["id"] == shield_id, within=20
                )
                assert alert["distance_m"] < 1.0
        finally:
            await second_device.close()
    finally:
        for p in (on_b, listener_b, speaker_a):
            await p.close()
