"""End to end with the real npm socket.io-client (tests/realtime/node): joins a space, sends
location updates, receives proximity_alert and new_nft."""

import asyncio
import json
import os
import random
import shutil
import uuid
from typing import Any

import httpx
import pytest

from app.placements.models import PlacementKind
from tests.factories import bearer
from tests.realtime.conftest import MUNICH, LiveServer
from tests.realtime.test_alerts import announce_nft, place

NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "socket.io-client")),
    reason="node and tests/realtime/node/node_modules (scripts/setup.d/60-realtime-node.sh) needed",
)


async def read_step(stream: asyncio.StreamReader) -> dict[str, Any]:
    line = await asyncio.wait_for(stream.readline(), timeout=30)
    assert line, "the node client exited early"
    step: dict[str, Any] = json.loads(line)
    assert step["step"] != "error", step
    return step


async def test_node_socketio_client_end_to_end(live: LiveServer) -> None:
    owner = await live.user()
    # Somewhere of its own: other tests leave objects around Marienplatz in this database.
    target = (MUNICH[0] - random.uniform(0.2, 0.5), MUNICH[1] + random.uniform(0.2, 0.5))
    nft_placement = await place(live, target, PlacementKind.NFT)
    async with httpx.AsyncClient(base_url=live.url) as http:
        r = await http.post(
            "/api/spaces/create",
            json={
                "user_id": str(owner.id),
                "space_name": "CyberLounge",
                "description": "Virtual meeting place",
                "access_type": "public",
            },
            headers=bearer(live.token(owner)),
        )
        space_id = r.json()["space_id"]
    assert NODE is not None
    proc = await asyncio.create_subprocess_exec(
        NODE,
        "e2e.mjs",
        live.url,
        live.token(owner),
        str(owner.id),
        space_id,
        str(target[0]),
        str(target[1]),
        nft_placement,
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        ready = await read_step(proc.stdout)
        assert ready["step"] == "ready"
        assert ready["joined"]["ok"] is True
        nft_id = f"nft-{uuid.uuid4().hex[:6]}"
        await announce_nft(live, nft_id, target)
        done = await read_step(proc.stdout)
        assert done["proximity_alert"]["id"] == nft_placement
        assert done["proximity_alert"]["kind"] == "nft"
        assert done["new_nft"] == {
            "nft_id": nft_id,
            "location": {"lat": target[0], "lng": target[1]},
        }
        assert await asyncio.wait_for(proc.wait(), timeout=10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
