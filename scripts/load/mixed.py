"""Bounded loopback load test: one uvicorn process (REST + Socket.IO), driven by a mix of
nearby readers, players posting location updates over REST, and Socket.IO clients sending
`location_update` and receiving events, for a fixed duration. Counts every request and
error, samples the server's RSS, and fails (exit 1) on any error or on memory growth.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_load \
        python -m scripts.load.mixed --redis-url redis://127.0.0.1:6379/9 --duration 180

The database must be migrated (alembic upgrade head); the run adds its own users,
placements and geofences (unique names). tests/reliability/test_load.py runs a short one.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import socketio
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
CENTRE = (48.1371, 11.5754)  # Marienplatz
PASSWORD = "load test passphrase"


@dataclass
class Stats:
    requests: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    socket_events: int = 0
    rss_kib: list[tuple[float, int]] = field(default_factory=list)

    def record(self, kind: str, started: float, ok: bool, detail: str = "") -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1
        self.latencies_ms.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        if not ok and len(self.errors) < 50:
            self.errors.append(f"{kind}: {detail[:200]}")
        elif not ok:
            self.errors.append(kind)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _offset(lat: float, lng: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (
        lat + north_m / 111_320.0,
        lng + east_m / (111_320.0 * math.cos(math.radians(lat))),
    )


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "REDIS_CHANNEL_PREFIX": f"cyberspace-load-{uuid.uuid4().hex[:8]}",
        "LOG_LEVEL": "WARNING",
        # Loopback clients all share one address: the per-IP auth limits would turn the
        # set-up logins into 429s. They have their own tests.
        "AUTH_IP_LIMIT": "100000",
        "PASSWORD_TIME_COST": "1",
        "PASSWORD_MEMORY_KIB": "1024",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip


async def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(600):
            if server.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the server never became ready")


async def make_player(client: httpx.AsyncClient, tag: str) -> tuple[str, str]:
    name = f"load_{tag}_{uuid.uuid4().hex[:8]}"
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    registered = await client.post("/api/auth/register", json=body)
    registered.raise_for_status()
    token = await client.post(
        "/api/auth/token", data={"grant_type": "password", "username": name, "password": PASSWORD}
    )
    token.raise_for_status()
    return name, token.json()["access_token"]


async def seed(client: httpx.AsyncClient, args: argparse.Namespace) -> str:
    """An organizer with fences and placements around the centre; returns its token."""
    name, _ = await make_player(client, "org")
    dsn = make_url(args.database_url)
    with psycopg.connect(
        host=dsn.host, port=dsn.port, user=dsn.username, password=dsn.password,
        dbname=dsn.database, autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(
            "UPDATE users SET roles = ARRAY['player','organizer'] WHERE username = %s", (name,)
        )
    token = (
        await client.post(
            "/api/auth/token",
            data={"grant_type": "password", "username": name, "password": PASSWORD},
        )
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(8)
    for i in range(args.placements):
        lat, lng = _offset(*CENTRE, rng.uniform(-800, 800), rng.uniform(-800, 800))
        placed = await client.post(
            "/api/placements",
            json={"kind": "marker", "title": f"load {i}", "lat": lat, "lng": lng},
            headers=headers,
        )
        placed.raise_for_status()
    for i in range(args.fences):
        lat, lng = _offset(*CENTRE, rng.uniform(-300, 300), rng.uniform(-300, 300))
        fence = await client.post(
            "/api/geofences",
            json={"name": f"load fence {i}", "radius_m": 120,
                  "geometry": {"type": "Point", "coordinates": [lng, lat]}},
            headers=headers,
        )  # fmt: skip
        fence.raise_for_status()
    return token


async def nearby_reader(client: httpx.AsyncClient, stats: Stats, stop: float, seed_: int) -> None:
    rng = random.Random(seed_)
    while time.monotonic() < stop:
        lat, lng = _offset(*CENTRE, rng.uniform(-1000, 1000), rng.uniform(-1000, 1000))
        started = time.perf_counter()
        try:
            r = await client.get("/api/nearby", params={"lat": lat, "lng": lng, "radius_m": 500})
            stats.record("nearby", started, r.status_code == 200, r.text)
        except httpx.HTTPError as exc:
            stats.record("nearby", started, False, repr(exc))


async def mover(
    client: httpx.AsyncClient, token: str, stats: Stats, stop: float, seed_: int, pause: float
) -> None:
    """Walks (1.5 m/s) across the fences, posting fixes stamped with the real time."""
    rng = random.Random(seed_)
    headers = {"Authorization": f"Bearer {token}"}
    lat, lng = _offset(*CENTRE, rng.uniform(-400, 400), rng.uniform(-400, 400))
    heading = rng.uniform(0, 2 * math.pi)
    last = time.time()
    while time.monotonic() < stop:
        now = time.time()
        step = 1.5 * (now - last)
        last = now
        heading += rng.uniform(-0.3, 0.3)
        lat, lng = _offset(lat, lng, step * math.sin(heading), step * math.cos(heading))
        fix = {"lat": lat, "lng": lng, "accuracy_m": 8,
               "timestamp": datetime.fromtimestamp(now, UTC).isoformat()}  # fmt: skip
        started = time.perf_counter()
        try:
            r = await client.post("/api/locations", json=fix, headers=headers)
            ok = r.status_code == 200 and r.json()["rejected"] == 0
            stats.record("location", started, ok, r.text)
        except httpx.HTTPError as exc:
            stats.record("location", started, False, repr(exc))
        await asyncio.sleep(pause)


async def socket_player(
    base: str, token: str, stats: Stats, stop: float, seed_: int, pause: float
) -> None:
    rng = random.Random(seed_)
    sio = socketio.AsyncClient(reconnection=False)

    @sio.on("*")
    async def any_event(event: str, *args: Any) -> None:
        stats.socket_events += 1

    started = time.perf_counter()
    try:
        await sio.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        stats.record("socket_connect", started, True)
    except socketio.exceptions.ConnectionError as exc:
        stats.record("socket_connect", started, False, repr(exc))
        return
    lat, lng = _offset(*CENTRE, rng.uniform(-300, 300), rng.uniform(-300, 300))
    try:
        while time.monotonic() < stop:
            lat, lng = _offset(lat, lng, rng.uniform(-3, 3), rng.uniform(-3, 3))
            fix = {"lat": lat, "lng": lng, "accuracy_m": 8,
                   "timestamp": datetime.now(UTC).isoformat()}  # fmt: skip
            started = time.perf_counter()
            try:
                ack = await sio.call("location_update", fix, timeout=15)
                ok = isinstance(ack, dict) and ack.get("ok") is True
                stats.record("socket_location", started, ok, json.dumps(ack))
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError) as exc:
                stats.record("socket_location", started, False, repr(exc))
            await asyncio.sleep(pause)
        if not sio.connected:
            stats.record("socket_connect", time.perf_counter(), False, "disconnected mid-run")
    finally:
        await sio.disconnect()


async def sample_rss(pid: int, stats: Stats, stop: float, t0: float) -> None:
    while time.monotonic() < stop:
        stats.rss_kib.append((time.monotonic() - t0, _rss_kib(pid)))
        await asyncio.sleep(0.5)


def summarise(stats: Stats, args: argparse.Namespace, held_s: float) -> dict[str, Any]:
    rss = [kib for _, kib in stats.rss_kib]
    quarter = max(1, len(rss) // 4)
    first, last = statistics.median(rss[:quarter]), statistics.median(rss[-quarter:])
    growth_mib = (last - first) / 1024
    latency = {
        kind: {
            "p50_ms": round(statistics.median(v), 2),
            "p99_ms": round(sorted(v)[int(len(v) * 0.99) - 1 if len(v) > 1 else 0], 2),
        }
        for kind, v in stats.latencies_ms.items()
    }
    total = sum(stats.requests.values())
    return {
        "duration_s": round(held_s, 1),
        "clients": {"nearby": args.readers, "rest_movers": args.movers, "sockets": args.sockets},
        "requests": stats.requests,
        "requests_total": total,
        "requests_per_s": round(total / held_s, 1),
        "errors": len(stats.errors),
        "error_samples": stats.errors[:10],
        "socket_events_received": stats.socket_events,
        "latency": latency,
        "rss_mib": {
            "first_quarter": round(first / 1024, 1),
            "last_quarter": round(last / 1024, 1),
            "max": round(max(rss) / 1024, 1),
            "samples": len(rss),
        },
        "rss_growth_mib": round(growth_mib, 1),
        "memory_ok": growth_mib <= args.max_growth_mib,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(args, port)
    try:
        await wait_ready(base, server)
        limits = httpx.Limits(max_connections=args.readers + args.movers + 8)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            await seed(client, args)
            movers = [await make_player(client, f"m{i}") for i in range(args.movers)]
            sockets = [await make_player(client, f"s{i}") for i in range(args.sockets)]
            stats = Stats()
            # Warm-up (not measured for memory): imports, caches and pools fill up first.
            t0 = time.monotonic()
            warm = t0 + args.warmup
            await asyncio.gather(
                *(nearby_reader(client, Stats(), warm, i) for i in range(args.readers))
            )
            t0 = time.monotonic()
            stop = t0 + args.duration
            await asyncio.gather(
                sample_rss(server.pid, stats, stop, t0),
                *(nearby_reader(client, stats, stop, i) for i in range(args.readers)),
                *(
                    mover(client, token, stats, stop, 100 + i, args.pause)
                    for i, (_, token) in enumerate(movers)
                ),
                *(
                    socket_player(base, token, stats, stop, 200 + i, args.pause * 2)
                    for i, (_, token) in enumerate(sockets)
                ),
            )
            held = time.monotonic() - t0
            if server.poll() is not None:
                stats.errors.append("the server process died")
        return summarise(stats, args, held)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    p.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"))
    p.add_argument("--duration", type=float, default=180.0, help="seconds of mixed load")
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--readers", type=int, default=8, help="concurrent nearby readers")
    p.add_argument("--movers", type=int, default=8, help="players posting REST fixes")
    p.add_argument("--sockets", type=int, default=20, help="Socket.IO players")
    p.add_argument("--pause", type=float, default=0.25, help="seconds between a mover's fixes")
    p.add_argument("--placements", type=int, default=300)
    p.add_argument("--fences", type=int, default=10)
    p.add_argument("--max-growth-mib", type=float, default=25.0)
    args = p.parse_args(argv)
    if not args.database_url:
        p.error("--database-url (or DATABASE_URL) is required")
    return args


def main() -> None:
    args = parse()
    summary = asyncio.run(run(args))
    print(json.dumps(summary, indent=2))
    sys.exit(0 if summary["errors"] == 0 and summary["memory_ok"] else 1)


if __name__ == "__main__":
    main()
