"""Real-time benchmark: N Socket.IO clients moving around Munich at one location update per
second, with NFTs and geofences in place. Reports update->proximity_alert latency p50/p99,
alerts per second, lost and duplicated alerts (against an exact replay of the hysteresis
rule over the accepted updates), and server memory per connection.

    .venv/bin/python -m scripts.bench.realtime --clients 2000 --seconds 30

It migrates and fills its own database (BENCH_DATABASE_URL, default cyberspace_bench_rt),
starts `uvicorn --factory app.realtime.asgi:create_asgi_app` on a free port, and drives the
clients from this process (python-socketio AsyncClient over websocket).
"""

import argparse
import asyncio
import contextlib
import math
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import numpy as np
import psycopg
import socketio
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.auth.tokens import TokenService
from app.placements.models import PlacementKind
from app.placements.service import new_placement
from app.settings import Settings
from app.users.models import User
from geo.coords import LatLng
from geo.geodesy import destination, distances_and_bearings
from scripts.bench.common import _SERVER_GROUPS, ROOT, percentiles_ms, uvicorn_server

CENTER = (48.1371, 11.5754)
AREA_M = 3000.0
SPEED_MPS = 8.0
EDGE_TOLERANCE_M = 0.5  # replay vs server float noise at exactly R or R*factor


def rss_kib(pgid: int) -> int:
    """Resident memory of the server's whole process group (master and workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[2]) != pgid:
                    continue
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
    return total


def prepare_database(url: str) -> None:
    u = make_url(url)
    admin = f"host={u.host} port={u.port or 5432} user={u.username} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{u.database}"')
    config = Config(os.path.join(ROOT, "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")


def random_point(rng: random.Random) -> tuple[float, float]:
    p = destination(*CENTER, rng.uniform(0, 360), AREA_M * math.sqrt(rng.random()))
    return p.lat, p.lng


async def fill(
    url: str, n_users: int, n_nfts: int, rng: random.Random
) -> tuple[list[User], list[tuple[str, float, float]]]:
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    pw = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("bench-password")
    users = [
        User(
            id=uuid.uuid4(),
            username=f"b{i}_{uuid.uuid4().hex[:8]}",
            email=f"b{i}@bench.example.com",
            password_hash=pw,
            roles=["player"],
            is_active=True,
        )
        for i in range(n_users)
    ]
    organizer = User(
        id=uuid.uuid4(),
        username="bench_organizer",
        email="org@bench.example.com",
        password_hash=pw,
        roles=["organizer"],
        is_active=True,
    )
    nfts = []
    async with sessions() as session:
        session.add_all([*users, organizer])
        await session.flush()
        rows = []
        for i in range(n_nfts):
            lat, lng = random_point(rng)
            p = new_placement(
                kind=PlacementKind.NFT, title=f"Bench NFT {i}", point=LatLng(lat, lng)
            )
            rows.append(p)
            nfts.append((str(p.id), lat, lng))
        session.add_all(rows)
        await session.commit()
    await engine.dispose()
    return [*users, organizer], nfts


@dataclass
class Walker:
    client: socketio.AsyncClient
    lat: float
    lng: float
    heading: float
    accepted: list[tuple[float, float, float]] = field(default_factory=list)  # (ts, lat, lng)
    alerts: list[tuple[str, float, float]] = field(default_factory=list)  # (id, fix ts, recv)
    acks: list[float] = field(default_factory=list)  # location_update round trips, s
    rejected: int = 0
    errors: int = 0


def replay(
    walker: Walker, nfts: np.ndarray, ids: list[str], radius: float, factor: float
) -> tuple[set[tuple[str, float]], set[tuple[str, float]]]:
    """Expected (id, fix ts) alerts for the accepted updates, and ambiguous ones (an object
    within EDGE_TOLERANCE_M of R or R*factor, where float noise may decide either way)."""
    armed: set[int] = set()
    expected: set[tuple[str, float]] = set()
    ambiguous: set[tuple[str, float]] = set()
    for ts, lat, lng in walker.accepted:
        d, _ = distances_and_bearings(lat, lng, nfts[:, 0], nfts[:, 1])
        inner = set(np.flatnonzero(d <= radius).tolist())
        for i in inner - armed:
            expected.add((ids[i], ts))
        for i in np.flatnonzero(np.abs(d - radius) < EDGE_TOLERANCE_M).tolist():
            ambiguous.add((ids[i], ts))
        for i in np.flatnonzero(np.abs(d - radius * factor) < EDGE_TOLERANCE_M).tolist():
            ambiguous.update((ids[i], t) for t, _, _ in walker.accepted)
        outer = set(np.flatnonzero(d <= radius * factor).tolist())
        armed = (armed | inner) & outer
    return expected, ambiguous


async def walk(walker: Walker, stop_at: float, rng: random.Random) -> None:
    await asyncio.sleep(rng.random())  # spread the clients over the second
    while time.time() < stop_at:
        tick = time.monotonic()
        walker.heading = (walker.heading + rng.uniform(-30, 30)) % 360
        p = destination(walker.lat, walker.lng, walker.heading, SPEED_MPS)
        if math.dist(CENTER, (p.lat, p.lng)) > AREA_M / 111_000:
            walker.heading = (walker.heading + 180) % 360
        walker.lat, walker.lng = p.lat, p.lng
        ts = time.time()
        try:
            ack = await walker.client.call(
                "location_update",
                {"lat": p.lat, "lng": p.lng, "accuracy_m": 5, "timestamp": ts},
                timeout=10,
            )
            walker.acks.append(time.time() - ts)
            if ack.get("accepted"):
                walker.accepted.append(
                    (datetime.fromtimestamp(ts).astimezone().timestamp(), p.lat, p.lng)
                )
            else:
                walker.rejected += 1
        except Exception:
            walker.errors += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))


async def connect(
    url: str, token: str, walker_at: tuple[float, float], rng: random.Random
) -> Walker:
    client = socketio.AsyncClient(reconnection=False)
    walker = Walker(client, walker_at[0], walker_at[1], rng.uniform(0, 360))

    async def alert(data: dict[str, Any]) -> None:
        fix = datetime.fromisoformat(data["fix_timestamp"]).timestamp()
        walker.alerts.append((data["id"], fix, time.time()))

    client.on("proximity_alert", alert)

    await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=30)
    return walker


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    prefix = f"bench-rt-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        environment="test",
        database_url=args.database_url,
        redis_url=args.redis_url,
        redis_channel_prefix=prefix,
        log_level="WARNING",
    )
    print(flush=True)
    print(f"[bench] preparing {args.database_url}: {args.clients} players, {args.nfts} NFTs")
    prepare_database(args.database_url)
    users, nfts = await fill(args.database_url, args.clients, args.nfts, rng)
    organizer, players = users[-1], users[:-1]
    redis = Redis.from_url(args.redis_url)
    tokens = TokenService(settings=settings, redis=redis, session_factory=None)  # type: ignore[arg-type]

    def token(u: User) -> str:
        return tokens.issue_user_token(user_id=u.id, session_id=uuid.uuid4())[0]

    env = {
        "ENVIRONMENT": "test",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "REDIS_CHANNEL_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": "20",
    }
    factory = "app.realtime.asgi:create_asgi_app"
    with uvicorn_server(factory, env, workers=args.workers) as base:
        pid = _SERVER_GROUPS[base]
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for i in range(args.fences):
                lat, lng = random_point(rng)
                r = await http.post(
                    "/api/geofences",
                    json={
                        "name": f"Bench fence {i}",
                        "geometry": {"type": "Point", "coordinates": [lng, lat]},
                        "radius_m": 150,
                    },
                    headers={"Authorization": f"Bearer {token(organizer)}"},
                )
                r.raise_for_status()
        print("[bench] server up; connecting clients", flush=True)
        rss_before = rss_kib(pid)
        walkers: list[Walker] = []
        for start in range(0, len(players), 25):
            batch = players[start : start + 25]
            walkers.extend(
                await asyncio.gather(
                    *(connect(base, token(u), random_point(rng), rng) for u in batch)
                )
            )
        await asyncio.sleep(2)
        rss_after = rss_kib(pid)
        print(f"[bench] {len(walkers)} clients connected; walking for {args.seconds}s", flush=True)
        t0 = time.time()
        stop_at = t0 + args.seconds
        await asyncio.gather(*(walk(w, stop_at, rng) for w in walkers))
        walked = time.time() - t0
        drained = await drain(redis, prefix)
        await asyncio.sleep(1)  # the last emits' trip through pub/sub and the sockets
        elapsed = time.time() - t0
        print(f"[bench] walked {walked:.0f}s; stream drained after {drained:.1f}s more", flush=True)
        # Results first: a slow server shutdown must not cost them.
        report(walkers, nfts, settings, elapsed, rss_before, rss_after)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                asyncio.gather(*(w.client.disconnect() for w in walkers), return_exceptions=True),
                timeout=20,
            )
    await redis.aclose()


async def drain(redis: Redis, prefix: str, limit_s: float = 120) -> float:
    """Wait until the consumer group has read and acknowledged every event; returns seconds."""
    start = time.time()
    while time.time() - start < limit_s:
        groups = await redis.xinfo_groups(f"{prefix}:events")
        if all(int(g.get("lag") or 0) == 0 and int(g.get("pending") or 0) == 0 for g in groups):
            break
        await asyncio.sleep(0.2)
    return time.time() - start


def report(
    walkers: list[Walker],
    nfts: list[tuple[str, float, float]],
    settings: Settings,
    elapsed: float,
    rss_before: int,
    rss_after: int,
) -> None:

    radius, factor = settings.proximity_alert_radius_m, settings.proximity_rearm_factor
    coords = np.array([(lat, lng) for _, lat, lng in nfts])
    ids = [i for i, _, _ in nfts]
    latencies: list[float] = []
    lost = dup = unexpected = total_updates = 0
    for w in walkers:
        total_updates += len(w.accepted)
        expected, ambiguous = replay(w, coords, ids, radius, factor)
        got = Counter((i, round(fix, 3)) for i, fix, _ in w.alerts)
        exp = {(i, round(t, 3)) for i, t in expected}
        amb = {(i, round(t, 3)) for i, t in ambiguous}
        lost += len({k for k in exp - set(got) if k not in amb})
        dup += sum(n - 1 for n in got.values() if n > 1)
        unexpected += len({k for k in set(got) - exp if k not in amb})
        latencies.extend(recv - fix for _, fix, recv in w.alerts)
    alerts = sum(len(w.alerts) for w in walkers)
    p50, p99 = percentiles_ms(latencies) if latencies else (float("nan"), float("nan"))
    ack_p50, ack_p99 = percentiles_ms([a for w in walkers for a in w.acks] or [math.nan])
    row = {
        "clients": len(walkers),
        "update ack p50/p99": f"{ack_p50:.0f}/{ack_p99:.0f} ms",
        "accepted updates/s": f"{total_updates / elapsed:.0f}",
        "alerts/s": f"{alerts / elapsed:.1f}",
        "update->alert p50": f"{p50:.1f} ms",
        "p99": f"{p99:.1f} ms",
        "lost": lost,
        "duplicated": dup,
        "unexpected": unexpected,
        "rejected updates": sum(w.rejected for w in walkers),
        "errors": sum(w.errors for w in walkers),
        "server RSS / connection": f"{(rss_after - rss_before) / max(1, len(walkers)):.1f} KiB",
    }
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--nfts", type=int, default=3000)
    parser.add_argument("--fences", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_bench_rt"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
