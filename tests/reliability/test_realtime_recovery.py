"""Real time across a Redis outage, in a real server process with its own redis-server:
events reach a connected Socket.IO client before the outage; while Redis is down the REST
path keeps accepting fixes (their events go to PostgreSQL's log); after a fresh Redis comes
back, events reach the client again, without restarting the server.

"Again" means: the player keeps walking out of and into the fence, and an enter event
arrives within a bounded number of rounds. Events published in the moments after Redis
returns, before the stream consumer group and the Socket.IO pub/sub listener are back, can
be missed by the socket (they are in the durable log): docs/RELIABILITY.md, known gaps."""

import argparse
import asyncio
import signal
import subprocess
import time
from datetime import UTC, datetime

import httpx
import psycopg
import pytest
import socketio
from sqlalchemy.engine import make_url

from scripts.load.mixed import _free_port, make_player, start_server, wait_ready
from tests.reliability.faults import RedisServer

A = (48.1371, 11.5754)
B = (48.1461, 11.5754)  # 1 km north: outside the fence, a plausible walk in 5 minutes


def _fix(at: tuple[float, float], stamp: float) -> dict[str, object]:
    when = datetime.fromtimestamp(stamp, UTC).isoformat()
    return {"lat": at[0], "lng": at[1], "accuracy_m": 5, "timestamp": when}


async def _event(queue: "asyncio.Queue[str]", name: str, attempts: int = 300) -> bool:
    for _ in range(attempts):
        try:
            if await asyncio.wait_for(queue.get(), 0.1) == name:
                return True
        except TimeoutError:
            continue
    return False


@pytest.mark.timeout(600)
async def test_events_flow_again_after_redis_returns(
    process_database: str, redis_server: RedisServer
) -> None:
    args = argparse.Namespace(database_url=process_database, redis_url=redis_server.url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(args, port)
    received: asyncio.Queue[str] = asyncio.Queue()
    sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2)

    @sio.on("*")
    async def any_event(event: str, *_: object) -> None:
        await received.put(event)

    try:
        await wait_ready(base, server)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            owner, _ = await make_player(client, "rto")
            _, token = await make_player(client, "rtp")
            headers = {"Authorization": f"Bearer {token}"}
            # Geofences need the organizer role: granted the way an admin would (SQL).
            dsn = make_url(process_database)
            with psycopg.connect(
                host=dsn.host, port=dsn.port, user=dsn.username, dbname=dsn.database,
                autocommit=True,
            ) as conn:  # fmt: skip
                conn.execute(
                    "UPDATE users SET roles = ARRAY['player','organizer'] WHERE username = %s",
                    (owner,),
                )
            login = await client.post(
                "/api/auth/token",
                data={"grant_type": "password", "username": owner,
                      "password": "load test passphrase"},
            )  # fmt: skip
            owner_h = {"Authorization": f"Bearer {login.json()['access_token']}"}
            fence = await client.post(
                "/api/geofences",
                json={"name": "RT", "radius_m": 150,
                      "geometry": {"type": "Point", "coordinates": [A[1], A[0]]}},
                headers=owner_h,
            )  # fmt: skip
            assert fence.status_code == 201, fence.text
            fence_id = fence.json()["id"]

            await sio.connect(base, auth={"token": token}, transports=["websocket"])
            # Fix times a minute apart from 50 minutes ago: every walk A <-> B (1 km) is
            # plausible, and all of them stay within the accepted age.
            clock = time.time() - 3000
            entered = await client.post("/api/locations", json=_fix(A, clock), headers=headers)
            assert entered.json()["results"][0]["accepted"], entered.text
            assert await _event(received, "geofence_enter"), "no event before the outage"

            redis_server.stop()  # ------------------------------------------------------
            clock += 60
            left = await client.post("/api/locations", json=_fix(B, clock), headers=headers)
            assert left.status_code == 200, left.text
            # The database is shared with other process tests: look at this fence only.
            mine = [e for e in left.json()["results"][0]["events"] if e["fence_id"] == fence_id]
            assert [e["type"] for e in mine] == ["geofence_exit"]

            redis_server.start()  # -----------------------------------------------------
            for _ in range(600):
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            recovered, rounds = False, 0
            while not recovered and rounds < 15:
                rounds += 1
                while not received.empty():
                    received.get_nowait()
                clock += 60
                back = await client.post("/api/locations", json=_fix(A, clock), headers=headers)
                assert back.json()["results"][0]["accepted"], back.text
                recovered = await _event(received, "geofence_enter", attempts=30)
                if recovered:
                    break
                clock += 60
                out = await client.post("/api/locations", json=_fix(B, clock), headers=headers)
                assert out.json()["results"][0]["accepted"], out.text
            assert recovered, "no event reached the socket after Redis returned"
            print(f"real time recovered after {rounds} walk(s) into the fence")
    finally:
        if sio.connected:
            await sio.disconnect()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
