"""A service process killed (SIGKILL, no shutdown) in the middle of a challenge: a new
process on the same database carries on where the player was — progress intact, no
transition lost or repeated, the challenge completes."""

import argparse
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from scripts.load.mixed import PASSWORD, _free_port, make_player, start_server, wait_ready
from tests.conftest import TEST_REDIS_URL

A = (48.1371, 11.5754)  # Marienplatz
B = (48.1374, 11.5820)  # ~500 m east


def _circle(name: str, at: tuple[float, float]) -> dict[str, object]:
    return {"name": name, "radius_m": 100,
            "geometry": {"type": "Point", "coordinates": [at[1], at[0]]}}  # fmt: skip


def _fix(at: tuple[float, float], seconds_ago: float) -> dict[str, object]:
    stamp = datetime.fromtimestamp(time.time() - seconds_ago, UTC).isoformat()
    return {"lat": at[0], "lng": at[1], "accuracy_m": 5, "timestamp": stamp}


def _kill(server: "subprocess.Popen[bytes]") -> None:
    server.send_signal(signal.SIGKILL)
    server.wait()


@pytest.mark.timeout(600)
async def test_progress_survives_a_killed_process(process_database: str) -> None:
    db_url = process_database
    args = argparse.Namespace(database_url=db_url, redis_url=TEST_REDIS_URL)

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    first = start_server(args, port)
    try:
        await wait_ready(base, first)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            organizer, _ = await make_player(client, "org")
            _, player_token = await make_player(client, "p")
            dsn = make_url(db_url)
            with psycopg.connect(
                host=dsn.host, port=dsn.port, user=dsn.username, dbname=dsn.database,
                autocommit=True,
            ) as conn:  # fmt: skip
                conn.execute(
                    "UPDATE users SET roles = ARRAY['player','organizer'] WHERE username = %s",
                    (organizer,),
                )
            login = await client.post(
                "/api/auth/token",
                data={"grant_type": "password", "username": organizer, "password": PASSWORD},
            )
            org_h = {"Authorization": f"Bearer {login.json()['access_token']}"}
            player_h = {"Authorization": f"Bearer {player_token}"}
            fences = [
                await client.post("/api/geofences", json=_circle(name, at), headers=org_h)
                for name, at in (("A", A), ("B", B))
            ]
            fence_a, fence_b = (f.json()["id"] for f in fences)
            challenge = await client.post(
                "/api/challenges",
                json={"name": f"Kill {uuid.uuid4().hex[:6]}", "kind": "checkpoints",
                      "fence_ids": [fence_a, fence_b], "ordered": True},
                headers=org_h,
            )  # fmt: skip
            assert challenge.status_code == 201, challenge.text
            challenge_id = challenge.json()["id"]
            joined = await client.post(f"/api/challenges/{challenge_id}/join", headers=player_h)
            assert joined.status_code in (200, 201), joined.text
            # Checkpoint A, five minutes ago (B is 500 m away: a plausible walk later).
            step = await client.post("/api/locations", json=_fix(A, 300), headers=player_h)
            assert step.json()["results"][0]["accepted"], step.text
            mine = f"/api/challenges/{challenge_id}/progress"
            assert (await client.get(mine, headers=player_h)).json()["progress"] == 1

        _kill(first)  # ------------------------------------------- no shutdown, no flush

        second = start_server(args, port)
        try:
            await wait_ready(base, second)
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                # The old access token still works: nothing lived only in the dead process.
                progress = await client.get(
                    f"/api/challenges/{challenge_id}/progress", headers=player_h
                )
                assert progress.status_code == 200, progress.text
                assert progress.json()["progress"] == 1
                assert progress.json()["completed_at"] is None
                done = await client.post("/api/locations", json=_fix(B, 0), headers=player_h)
                result = done.json()["results"][0]
                assert result["accepted"], done.text
                types = [e["type"] for e in result["events"]]
                assert "challenge_completed" in types, types
                progress = await client.get(
                    f"/api/challenges/{challenge_id}/progress", headers=player_h
                )
                assert progress.json()["progress"] == 2
                assert progress.json()["completed_at"] is not None
                # Each transition exactly once in the durable log, across both processes.
                events_a = await client.get(f"/api/geofences/{fence_a}/events", headers=org_h)
                kinds_a = [e["type"] for e in events_a.json()["items"]]
                assert kinds_a.count("geofence_enter") == 1, kinds_a
                events_b = await client.get(f"/api/geofences/{fence_b}/events", headers=org_h)
                assert [e["type"] for e in events_b.json()["items"]] == ["geofence_enter"]
        finally:
            second.send_signal(signal.SIGINT)
            try:
                second.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _kill(second)
    finally:
        if first.poll() is None:
            _kill(first)
