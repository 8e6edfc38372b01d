"""Real-time benchmark: N Socket.IO clients moving around Munich at one location update per
second, with NFTs and geofences in place. Reports update->proximity_alert latency p50/p99,
alerts per second, lost and duplicated alerts (against an exact replay of the hysteresis
rule over the accepted updates), and server memory per connection.

    .venv/bin/python -m scripts.bench.realtime --clients 2000 --seconds 30

It migrates and fills its own database (BENCH_DATABASE_URL, default cyberspace_bench_rt),
serves `app.realtime.asgi:create_asgi_app` with `python -m app.serve` on a free port,
computes each client's walk, and has `realtime_load.mjs` drive the clients with the npm
`socket.io-client` (over websocket): thousands of python-socketio clients would need more CPU
than the server under test. It also reports the CPU the server, PostgreSQL, Redis and the
load driver used per accepted update, since this box's two cores are shared by all of them.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from prometheus_client.parser import text_string_to_metric_families
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

NODE_CLIENT_DIR = os.path.join(ROOT, "tests", "realtime", "node")

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


def _proc_stat(pid: str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


@dataclass(frozen=True)
class CpuTimes:
    """CPU seconds (user + system) used so far by each party of the benchmark."""

    server: float
    postgres: float
    redis: float
    driver: float

    def __sub__(self, other: "CpuTimes") -> "CpuTimes":
        return CpuTimes(
            self.server - other.server,
            self.postgres - other.postgres,
            self.redis - other.redis,
            self.driver - other.driver,
        )


def cpu_seconds(server_pgid: int, driver_pid: int) -> CpuTimes:
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"server": 0.0, "postgres": 0.0, "redis": 0.0, "driver": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or (fields := _proc_stat(entry)) is None:
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        try:
            with open(f"/proc/{entry}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if int(fields[2]) == server_pgid:
            totals["server"] += used
        elif int(entry) == driver_pid:
            totals["driver"] += used
        elif name == "postgres":
            totals["postgres"] += used
        elif name.startswith("redis-server"):
            totals["redis"] += used
    return CpuTimes(**totals)


async def expect_line(driver: asyncio.subprocess.Process, word: str) -> None:
    assert driver.stdout is not None
    while True:
        line = await driver.stdout.readline()
        if not line:
            raise RuntimeError(f"load driver exited before saying {word!r}")
        if line.decode().strip() == word:
            return


def send(driver: asyncio.subprocess.Process, word: str) -> None:
    assert driver.stdin is not None
    driver.stdin.write(f"{word}\n".encode())


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
    """One client's record from the load driver."""

    accepted: list[tuple[float, float, float]] = field(default_factory=list)  # (ts, lat, lng)
    alerts: list[tuple[str, float, float]] = field(default_factory=list)  # (id, fix ts, recv)
    acks: list[float] = field(default_factory=list)  # location_update round trips, s
    rejected: int = 0
    errors: int = 0


def walk_path(start: tuple[float, float], seconds: float, rng: random.Random) -> list[list[float]]:
    """One (lat, lng) a second: SPEED_MPS in a slowly turning direction, kept in the area."""
    lat, lng = start
    heading = rng.uniform(0, 360)
    path = []
    for _ in range(math.ceil(seconds) + 1):
        heading = (heading + rng.uniform(-30, 30)) % 360
        p = destination(lat, lng, heading, SPEED_MPS)
        if math.dist(CENTER, (p.lat, p.lng)) > AREA_M / 111_000:
            heading = (heading + 180) % 360
        lat, lng = p.lat, p.lng
        path.append([lat, lng])
    return path


def replay(
    walker: Walker, nfts: np.ndarray, ids: list[str], radius: float, factor: float
) -> tuple[set[tuple[str, float]], set[tuple[str, float]]]:
    """Expected (id, fix ts) alerts for the accepted updates, and ambiguous ones (an object
    within EDGE_TOLERANCE_M of R or R*factor, where float noise may decide either way)."""
    armed: set[int] = set()
    expected: set[tuple[str, float]] = set()
    ambiguous: set[tuple[str, float]] = set()
    if not walker.accepted:
        return expected, ambiguous
    # Only NFTs near the walk can matter: a box around it, twice the widest radius wide on
    # each side (geodesics to all NFTs for every update took minutes at 2,000 clients).
    path = np.array([(lat, lng) for _, lat, lng in walker.accepted])
    reach_deg = 2 * (radius * factor + EDGE_TOLERANCE_M) / 111_000
    cos_lat = max(math.cos(math.radians(float(np.abs(path[:, 0]).max()) + reach_deg)), 1e-6)
    (lat_lo, lng_lo), (lat_hi, lng_hi) = path.min(axis=0), path.max(axis=0)
    near = np.flatnonzero(
        (nfts[:, 0] >= lat_lo - reach_deg)
        & (nfts[:, 0] <= lat_hi + reach_deg)
        & (nfts[:, 1] >= lng_lo - reach_deg / cos_lat)
        & (nfts[:, 1] <= lng_hi + reach_deg / cos_lat)
    )
    ids = [ids[i] for i in near.tolist()]
    nfts = nfts[near]
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
        # No chain: the bench's NFTs are placements in the database. With the embedded
        # chain each worker would run its own, and the workers' NFT indexers would take
        # each other's blocks for re-orgs and rebuild the index every poll.
        "NFT_CHAIN_ENABLED": "false",
    }
    factory = "app.realtime.asgi:create_asgi_app"
    # `python -m app.serve`: uvicorn without per-message deflate, as the service ships (small
    # JSON frames gain nothing from it), each worker with a listener of its own.
    serve_args = ["--ws", args.ws] if args.ws else []
    with uvicorn_server(factory, env, workers=args.workers, extra_args=serve_args) as base:
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
        with tempfile.TemporaryDirectory() as tmp:
            plan = {
                "url": base,
                "packageJson": os.path.join(NODE_CLIENT_DIR, "package.json"),
                "seconds": args.seconds,
                "clients": [
                    {"token": token(u), "path": walk_path(random_point(rng), args.seconds, rng)}
                    for u in players
                ],
            }
            plan_path, out_path = os.path.join(tmp, "plan.json"), os.path.join(tmp, "out.json")
            await asyncio.to_thread(Path(plan_path).write_text, json.dumps(plan))
            driver = await asyncio.create_subprocess_exec(
                "node",
                os.path.join(ROOT, "scripts", "bench", "realtime_load.mjs"),
                plan_path,
                out_path,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            await expect_line(driver, "connected")
            await asyncio.sleep(2)
            rss_after = rss_kib(pid)
            print(f"[bench] {len(players)} clients connected; walking for {args.seconds}s")
            cpu_before = cpu_seconds(pid, driver.pid)
            send(driver, "go")
            await expect_line(driver, "walked")
            cpu_walk = cpu_seconds(pid, driver.pid) - cpu_before
            drained = await drain(redis, prefix)
            # Alerts still on their way (pub/sub, the sockets' queues) arrive meanwhile.
            send(driver, "settle")
            await expect_line(driver, "settled")
            send(driver, "stop")
            await driver.wait()
            out = json.loads(await asyncio.to_thread(Path(out_path).read_text))
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                server_metrics = (await http.get("/metrics")).text
        walkers = [
            Walker(
                accepted=[tuple(a) for a in c["accepted"]],
                alerts=[tuple(a) for a in c["alerts"]],
                acks=c["acks"],
                rejected=c["rejected"],
                errors=c["errors"],
            )
            for c in out["clients"]
        ]
        walked = float(out["walked"])
        print(f"[bench] walked {walked:.0f}s; stream drained after {drained:.1f}s more", flush=True)
        report(walkers, nfts, settings, walked, rss_before, rss_after, cpu_walk, args.warmup)
        print_server_histograms(server_metrics, one_of=args.workers)
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
    cpu: CpuTimes,
    warmup_s: float,
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
    p50, p99 = percentiles_ms(latencies) if latencies else (math.nan, math.nan)
    # Every client's first fix alerts all the objects around it at once: the walk begins
    # with 2,000 players arriving within a second and a burst of alerts several times the
    # steady rate. The run's figures include it; these leave out alerts caused by fixes
    # taken in the first warmup_s seconds (the burst and the backlog it leaves).
    start = min((w.accepted[0][0] for w in walkers if w.accepted), default=0.0)
    moving = [recv - fix for w in walkers for _, fix, recv in w.alerts if fix >= start + warmup_s]
    steady_p50, steady_p99 = percentiles_ms(moving) if moving else (math.nan, math.nan)
    ack_p50, ack_p99 = percentiles_ms([a for w in walkers for a in w.acks] or [math.nan])
    row = {
        "clients": len(walkers),
        "update ack p50/p99": f"{ack_p50:.0f}/{ack_p99:.0f} ms",
        "accepted updates/s": f"{total_updates / elapsed:.0f}",
        "alerts/s": f"{alerts / elapsed:.1f}",
        "update->alert p50": f"{p50:.1f} ms",
        "p99": f"{p99:.1f} ms",
        f"after the first {warmup_s:g} s: p50 / p99 (alerts)": (
            f"{steady_p50:.1f} / {steady_p99:.1f} ms ({len(moving)} of {alerts})"
        ),
        "lost": lost,
        "duplicated": dup,
        "unexpected": unexpected,
        "rejected updates": sum(w.rejected for w in walkers),
        "errors": sum(w.errors for w in walkers),
        "server RSS / connection": f"{(rss_after - rss_before) / max(1, len(walkers)):.1f} KiB",
    }
    per_update = 1e3 / max(1, total_updates)
    cpu_row = {
        "server CPU / update": f"{cpu.server * per_update:.2f} ms",
        "PostgreSQL": f"{cpu.postgres * per_update:.2f} ms",
        "Redis": f"{cpu.redis * per_update:.2f} ms",
        "load driver (node)": f"{cpu.driver * per_update:.2f} ms",
        "server cores busy": f"{cpu.server / elapsed:.2f}",
    }
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |")
    print()
    print("| " + " | ".join(cpu_row) + " |")
    print("|" + "---|" * len(cpu_row))
    print("| " + " | ".join(cpu_row.values()) + " |")


# Where the server's own histograms say the time went (app/realtime/metrics.py).
_SERVER_HISTOGRAMS = {
    "cyberspace_realtime_location_batch_size": "updates per ingest batch",
    "cyberspace_realtime_location_batch_seconds": "ingest batch wall time (s)",
    "cyberspace_realtime_local_proximity_lag_seconds": "fix accepted -> alerts sent (s)",
    "cyberspace_event_loop_lag_seconds": "event loop lag (s)",
    "cyberspace_gc_pause_seconds": "garbage collection pause (s)",
}


def _bucket_bound(buckets: list[tuple[float, float]], rank: float) -> float:
    """The smallest bucket bound with at least `rank` observations at or below it."""
    return next((le for le, n in sorted(buckets) if n >= rank), math.inf)


def print_server_histograms(text: str, *, one_of: int) -> None:
    """Mean and bucket-bound p50/p99 of the server's latency histograms (one row per label
    set, e.g. per GC generation)."""
    series: dict[tuple[str, str], dict[str, Any]] = {}
    for family in text_string_to_metric_families(text):
        label = _SERVER_HISTOGRAMS.get(family.name)
        if label is None:
            continue
        for sample in family.samples:
            labels = ", ".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if k != "le")
            row = series.setdefault((label, labels), {"buckets": [], "sum": 0.0, "count": 0.0})
            if sample.name.endswith("_bucket"):
                row["buckets"].append((float(sample.labels["le"]), sample.value))
            elif sample.name.endswith("_sum"):
                row["sum"] = sample.value
            elif sample.name.endswith("_count"):
                row["count"] = sample.value
    rows = []
    for (label, labels), row in series.items():
        count = row["count"]
        if count:
            p50, p99 = (_bucket_bound(row["buckets"], q * count) for q in (0.5, 0.99))
            name = f"{label} [{labels}]" if labels else label
            mean = row["sum"] / count
            rows.append(f"| {name} | {mean:.4g} | <= {p50:g} | <= {p99:g} | {count:.0f} |")
    if rows:
        which = "the server" if one_of == 1 else f"one of the {one_of} workers"
        print(f"\nServer histograms ({which}):\n")
        print("| histogram | mean | p50 | p99 | count |\n|---|---|---|---|---|")
        print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--nfts", type=int, default=3000)
    parser.add_argument("--fences", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--warmup",
        type=float,
        default=5.0,
        help="also report latency without the alerts of fixes from the walk's first seconds",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="service processes (python -m app.serve)"
    )
    parser.add_argument("--ws", help="uvicorn's websocket implementation (default: its own)")
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
