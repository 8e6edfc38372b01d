"""Batched location ingest, in process: the CPU this process spends per location update in
`app.locations.service.ingest_many` (what the Socket.IO batcher runs per batch), per batch size.

    .venv/bin/python -m scripts.bench.ingest [--players 1000] [--batch 10 50] [--seconds 8]
                                             [--repeat 3] [--profile 50] [--no-pre-ping]

It migrates and fills its own database (BENCH_INGEST_DATABASE_URL, default
cyberspace_bench_ingest; Redis DB 12): players as in scripts/bench/realtime.py, 20 circular
fences of 150 m in a 3 km disc (a quarter with a dwell threshold), and each player's last
position plus a full history (so pruning runs as in steady state). Every round moves every
player ~8 m (one second of virtual time, so plausibility accepts them); the players go
through `active_users` + `ingest_many` in batches of B on one pooled connection, as the
location batcher sends them (updates arrive parsed: the Socket.IO handler's work is not
counted, nor is preparing the rounds).

Reported per batch size, medians over alternating runs (the box is shared):
- ingest_many: CPU µs of this process per update (time.process_time), PostgreSQL backend CPU
  µs per update (/proc of the connection's backend), batch latency p50/p99;
- baseline: the very statements one round of ingest_many sent (recorded at psycopg's cursor,
  whether through SQLAlchemy or not) replayed on a raw psycopg AsyncConnection, then rolled
  back: the driver and round-trip cost of the same SQL and parameters with nothing above the
  driver. The ratio is what SQLAlchemy, the pool and the service's Python add on top.

--profile B runs cProfile (on CPU time) over batch size B; --no-pre-ping uses a pool without
app/core/db.py's liveness ping, to see what it costs. Benchmarks assert nothing.
"""

import argparse
import asyncio
import contextlib
import cProfile
import math
import os
import pstats
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import make_session_factory
from app.geofences.component import GeofenceComponent
from app.geofences.schemas import GeofenceIn
from app.geofences.service import create_geofence
from app.locations.schemas import LocationUpdateIn
from app.locations.service import PlayerUpdates, ingest_many
from app.resources import Resources, open_resources
from app.settings import Settings
from app.users import queries as user_queries
from app.users.models import User
from app.users.refs import ActiveUser
from geo.geodesy import destination
from scripts.bench.common import percentiles_ms
from scripts.bench.realtime import AREA_M, CENTER, SPEED_MPS, fill, prepare_database, random_point

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_INGEST_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_bench_ingest",
)
BENCH_REDIS_URL = os.environ.get("BENCH_INGEST_REDIS_URL", "redis://127.0.0.1:6379/12")
FENCES = 20
FENCE_RADIUS_M = 150.0


@dataclass
class Walker:
    user_id: uuid.UUID
    lat: float
    lng: float
    heading: float

    def step(self, rng: random.Random) -> None:
        """SPEED_MPS metres in a slowly turning direction, kept in the area."""
        self.heading = (self.heading + rng.uniform(-30, 30)) % 360
        p = destination(self.lat, self.lng, self.heading, SPEED_MPS)
        if math.dist(CENTER, (p.lat, p.lng)) > AREA_M / 111_000:
            self.heading = (self.heading + 180) % 360
        self.lat, self.lng = p.lat, p.lng


class Clock:
    """Virtual time: one second per round, starting far enough back that a long run's fixes
    are neither too old nor in the future."""

    def __init__(self, settings: Settings) -> None:
        self.t = datetime.now(UTC) - timedelta(seconds=settings.location_max_age_s * 0.8)

    def tick(self) -> datetime:
        self.t += timedelta(seconds=1)
        if self.t > datetime.now(UTC):
            raise SystemExit("ran out of virtual time: use fewer --seconds or more --players")
        return self.t


@dataclass
class Result:
    """One or more runs of the same measurement: medians per update over the runs."""

    name: str
    updates: int
    cpu_us: list[float]  # per update, one entry a run
    pg_us: list[float]
    latencies: list[float]

    def merged(self, other: "Result") -> "Result":
        return Result(
            self.name,
            self.updates + other.updates,
            self.cpu_us + other.cpu_us,
            self.pg_us + other.pg_us,
            self.latencies + other.latencies,
        )

    def row(self, baseline: "Result | None") -> str:
        us, pg = statistics.median(self.cpu_us), statistics.median(self.pg_us)
        p50, p99 = percentiles_ms(self.latencies)
        ratio = f"{us / statistics.median(baseline.cpu_us):.2f}x" if baseline else "-"
        spread = f"{min(self.cpu_us):.0f}-{max(self.cpu_us):.0f}"
        return (
            f"| {self.name:<34} | {self.updates:>7} | {us:>9.0f} | {spread:>11} | {pg:>9.0f} |"
            f" {p50:>7.2f} | {p99:>7.2f} | {ratio:>8} |"
        )


HEADER = (
    f"| {'what':<34} | {'updates':>7} | {'CPU µs/u':>9} | {'runs range':>11} | {'PG µs/u':>9} |"
    f" {'p50 ms':>7} | {'p99 ms':>7} | {'vs base':>8} |"
)


def backend_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def add_fences(resources: Resources, organizer: User, rng: random.Random) -> None:
    sync = resources.component(GeofenceComponent).sync
    for i in range(FENCES):
        lat, lng = random_point(rng)
        body = GeofenceIn(
            name=f"Bench fence {i}",
            geometry={"type": "Point", "coordinates": [lng, lat]},
            radius_m=FENCE_RADIUS_M,
            dwell_seconds=60 if i % 4 == 0 else None,
        )
        async with resources.session_factory() as session:
            await create_geofence(
                session=session, sync=sync, settings=resources.settings, owner=organizer, body=body
            )
    await sync.refresh()


def prefill_history(url: str, walkers: Sequence[Walker], start: datetime, keep: int) -> None:
    """Each player's last position and a full history ending just before `start`."""
    u = make_url(url)
    dsn = f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
    rows = [(w.user_id, w.lat, w.lng) for w in walkers]
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO player_positions (user_id, lat, lng, accuracy_m, fix_at, received_at)"
            " VALUES (%s, %s, %s, 5, %s, %s)",
            [(*r, start, start) for r in rows],
        )
        cur.executemany(
            "INSERT INTO location_history (user_id, lat, lng, accuracy_m, fix_at)"
            " SELECT %s, %s, %s, 5, %s - make_interval(secs => s)"
            " FROM generate_series(0, %s) AS s",
            [(*r, start, keep - 1) for r in rows],
        )


def update_of(w: Walker, at: datetime) -> LocationUpdateIn:
    return LocationUpdateIn(lat=w.lat, lng=w.lng, accuracy_m=8.0, timestamp=at)


async def ingest_batch(resources: Resources, batch: list[PlayerUpdates]) -> None:
    """What the location batcher does with one batch (app.realtime.location_batcher); the
    updates arrive parsed (the Socket.IO handler's work, not measured here)."""
    async with resources.session_factory() as session:
        ids = [b.user.id for b in batch]
        active = {u.id: u for u in await user_queries.active_users(session, ids)}
        await ingest_many(
            resources=resources,
            session=session,
            batches=[PlayerUpdates(active[b.user.id], b.updates) for b in batch],
        )


def batches_of(walkers: list[Walker], size: int, rng: random.Random) -> list[list[Walker]]:
    order = walkers[:]
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, len(order), size)]


async def timed(
    name: str,
    seconds: float,
    pg_pid: int,
    rounds: Callable[[], list[Callable[[], Awaitable[int]]]],
) -> Result:
    """Run batches (each returns its update count) for about `seconds` of wall time. CPU is
    counted for the batches only, not for preparing the rounds (walking, parsing updates)."""
    latencies: list[float] = []
    updates = 0
    cpu = 0.0
    pg0 = backend_cpu_s(pg_pid)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for batch in rounds():
            c0, t0 = time.process_time(), time.perf_counter()
            updates += await batch()
            latencies.append(time.perf_counter() - t0)
            cpu += time.process_time() - c0
    pg = backend_cpu_s(pg_pid) - pg0
    return Result(name, updates, [cpu / updates * 1e6], [pg / updates * 1e6], latencies)


Call = tuple[Any, Any, bool, bool | None]  # statement, parameters, executemany, prepare


@contextlib.contextmanager
def recording(calls: list[Call]) -> Iterator[None]:
    """Record what reaches psycopg's cursors: the statements SQLAlchemy sends and those the
    service sends to the driver directly."""
    execute, executemany = psycopg.AsyncCursor.execute, psycopg.AsyncCursor.executemany

    async def record_execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        calls.append((query, params, False, kw.get("prepare")))
        return await execute(self, query, params, **kw)

    async def record_executemany(self: Any, query: Any, params: Any, **kw: Any) -> Any:
        params = list(params)
        calls.append((query, params, True, None))
        return await executemany(self, query, params, **kw)

    setattr(psycopg.AsyncCursor, "execute", record_execute)  # noqa: B010
    setattr(psycopg.AsyncCursor, "executemany", record_executemany)  # noqa: B010
    try:
        yield
    finally:
        setattr(psycopg.AsyncCursor, "execute", execute)  # noqa: B010
        setattr(psycopg.AsyncCursor, "executemany", executemany)  # noqa: B010


def fresh_event_ids(parameters: Any) -> Any:
    """Event ids are unique and the recorded round committed its events: new ones."""
    if isinstance(parameters, dict):
        return {k: uuid.uuid4() if k.startswith("event_id") else v for k, v in parameters.items()}
    return [fresh_event_ids(p) for p in parameters]


async def replay(conn: psycopg.AsyncConnection[Any], calls: list[Call]) -> None:
    async with conn.cursor() as cur:
        for statement, recorded, many, prepare in calls:
            parameters = fresh_event_ids(recorded) if "event_id" in str(statement) else recorded
            if many:
                await cur.executemany(statement, parameters)
            else:
                await cur.execute(statement, parameters, prepare=prepare)
    await conn.rollback()


async def bench_batch_size(
    resources: Resources,
    walkers: list[Walker],
    clock: Clock,
    size: int,
    args: argparse.Namespace,
    pg_pid: int,
    raw: psycopg.AsyncConnection[Any],
    raw_pid: int,
) -> list[Result]:
    rng = random.Random(args.seed + size)

    def ingest_round() -> list[Callable[[], Awaitable[int]]]:
        at = clock.tick()
        for w in walkers:
            w.step(rng)

        def call(batch: list[PlayerUpdates]) -> Callable[[], Awaitable[int]]:
            async def run() -> int:
                await ingest_batch(resources, batch)
                return len(batch)

            return run

        return [
            call([PlayerUpdates(ActiveUser(w.user_id, ""), [update_of(w, at)]) for w in b])
            for b in batches_of(walkers, size, rng)
        ]

    # One warm-up round, recorded: the statements the baseline replays.
    recorded: list[tuple[list[Call], int]] = []
    for run in ingest_round():
        calls: list[Call] = []
        with recording(calls):
            n = await run()
        recorded.append((calls, n))

    def replay_round() -> list[Callable[[], Awaitable[int]]]:
        def call(calls: list[Call], n: int) -> Callable[[], Awaitable[int]]:
            async def run() -> int:
                await replay(raw, calls)
                return n

            return run

        return [call(c, n) for c, n in recorded]

    # Alternating runs, medians reported: the box is shared, one run can land on a burst.
    base: Result | None = None
    result: Result | None = None
    for _ in range(args.repeat):
        b = await timed(
            f"baseline: raw psycopg replay, B={size}", args.seconds, raw_pid, replay_round
        )
        base = b if base is None else base.merged(b)
        r = await profiled(
            args, size, timed(f"ingest_many, B={size}", args.seconds, pg_pid, ingest_round)
        )
        result = r if result is None else result.merged(r)
    assert base is not None
    assert result is not None
    return [base, result]


async def profiled(args: argparse.Namespace, size: int, measured: Awaitable[Result]) -> Result:
    """cProfile the measurement if asked to for this batch size, on CPU time (the box is
    shared: wall time would charge other jobs' time to whatever was running)."""
    if args.profile != size:
        return await measured
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    result = await measured
    profile.disable()
    pstats.Stats(profile).sort_stats(args.profile_sort).print_stats(args.profile_lines)
    return result


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    settings = Settings(
        environment="test",
        database_url=args.database_url,
        redis_url=args.redis_url,
        redis_channel_prefix=f"bench-ingest-{uuid.uuid4().hex[:8]}",
        log_level="WARNING",
        db_pool_size=1,
    )
    print(f"[bench] preparing {args.database_url}: {args.players} players, {FENCES} fences")
    prepare_database(args.database_url)
    users, _ = await fill(args.database_url, args.players, 0, rng)
    organizer, players = users[-1], users[:-1]
    session_factory = None
    if args.no_pre_ping:
        # What the pool's liveness ping (app/core/db.py: pool_pre_ping) costs per batch.
        engine = create_async_engine(args.database_url, pool_size=1, pool_pre_ping=False)
        session_factory = make_session_factory(engine)
    resources = open_resources(settings, session_factory=session_factory)
    if args.no_pre_ping:
        resources.engine = engine
    resources.components[GeofenceComponent] = GeofenceComponent(resources)
    await add_fences(resources, organizer, rng)
    clock = Clock(settings)
    walkers = [Walker(u.id, *random_point(rng), rng.uniform(0, 360)) for u in players]
    prefill_history(args.database_url, walkers, clock.t, settings.location_history_size)

    assert resources.engine is not None
    async with resources.session_factory() as session:
        pg_pid = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
    u = make_url(args.database_url)
    raw = await psycopg.AsyncConnection.connect(
        f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
    )
    raw_pid = raw.info.backend_pid
    results: list[Result] = []
    try:
        for size in args.batch:
            results += await bench_batch_size(
                resources, walkers, clock, size, args, pg_pid, raw, raw_pid
            )
    finally:
        await raw.close()
        await resources.aclose()
    print(f"\n## ingest_many CPU per update ({args.players} players, {FENCES} fences)")
    print(HEADER)
    print("|" + "|".join("-" * len(c) for c in HEADER.split("|")[1:-1]) + "|")
    baseline = None
    for r in results:
        print(r.row(baseline if r.name.startswith("ingest") else None))
        baseline = r if r.name.startswith("baseline") else baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=BENCH_DATABASE_URL)
    parser.add_argument("--redis-url", default=BENCH_REDIS_URL)
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--batch", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--no-pre-ping", action="store_true", help="pool without pre_ping")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs (medians)")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this batch size")
    parser.add_argument("--profile-sort", default="cumulative")
    parser.add_argument("--profile-lines", type=int, default=45)
    parser.add_argument("--seed", type=int, default=6)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
