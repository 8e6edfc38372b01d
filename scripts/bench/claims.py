"""Claim-under-contention benchmark: N players race for one placed NFT, round after round.

    python -m scripts.bench.claims [--players 50] [--rounds 10]

Each round places a fresh NFT (held in custody for a placer; setup is not timed), then N
players with linked wallets send `POST /api/nfts/{id}/claim` at the same instant, through
httpx into the real app (in-process ASGI, real PostgreSQL engine and pool, real Redis, the
embedded eth-tester chain). It records the time until every player has an answer, each
request's latency, and checks exactly one 200 and N-1 409s per round.

Baseline, same run, same database server: N connections race a plain conditional
`UPDATE ... SET winner = $1 WHERE id = $2 AND winner IS NULL` on one indexed row (what the
election costs with nothing else around it). An uncontended claim (one player) shows the
fixed cost: the checks, the row lock, the on-chain transfer, the commit.

Uses its own database (BENCH_CLAIMS_DATABASE_URL, default `cyberspace_bench_claims`),
recreated on each run, and Redis DB 12.
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import time
import uuid
from collections import Counter

import psycopg
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url

from app.main import create_app
from app.nfts.component import NftComponent
from app.resources import Resources
from app.settings import Settings
from geo.geodesy import destination
from scripts.bench.common import ROOT
from tests.claims.fixtures import MARIENPLATZ, auth_headers, placed_in_custody, player
from tests.claims.fixtures import random_address as new_address

BENCH_URL = os.environ.get(
    "BENCH_CLAIMS_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_bench_claims",
)
BENCH_REDIS_URL = os.environ.get("BENCH_CLAIMS_REDIS_URL", "redis://127.0.0.1:6379/12")
Answers = list[tuple[int, float]]


def _dsn(database: str) -> str:
    u = make_url(BENCH_URL)
    return f"host={u.host} port={u.port or 5432} user={u.username} dbname={database}"


def prepare_database() -> None:
    name = make_url(BENCH_URL).database
    with psycopg.connect(_dsn("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [".venv/bin/alembic", "-x", f"url={BENCH_URL}", "upgrade", "head"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with psycopg.connect(_dsn(name or ""), autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_race (id int PRIMARY KEY, winner int)")


async def _race(calls: list, at_once: asyncio.Event) -> tuple[float, list]:  # type: ignore[type-arg]
    tasks = [asyncio.create_task(c) for c in calls]
    await asyncio.sleep(0)  # every task is now waiting on the event
    t0 = time.perf_counter()
    at_once.set()
    results = await asyncio.gather(*tasks)
    return time.perf_counter() - t0, results


async def baseline_round(conns: list[psycopg.AsyncConnection], row: int) -> tuple[float, Answers]:
    start = asyncio.Event()

    async def one(i: int, conn: psycopg.AsyncConnection) -> tuple[int, float]:
        await start.wait()
        t = time.perf_counter()
        cur = await conn.execute(
            "UPDATE bench_race SET winner = %s WHERE id = %s AND winner IS NULL RETURNING id",
            (i, row),
        )
        won = len(await cur.fetchall())
        return (200 if won else 409), time.perf_counter() - t

    return await _race([one(i, c) for i, c in enumerate(conns)], start)


async def claim_round(
    client: AsyncClient, nft_id: str, headers: list[dict[str, str]], rng: random.Random
) -> tuple[float, Answers]:
    bodies = []
    for _ in headers:
        p = destination(*MARIENPLATZ, rng.uniform(0, 360), rng.uniform(0, 15))
        bodies.append({"lat": p.lat, "lng": p.lng, "accuracy_m": 5.0})
    start = asyncio.Event()

    async def one(i: int) -> tuple[int, float]:
        await start.wait()
        t = time.perf_counter()
        r = await client.post(f"/api/nfts/{nft_id}/claim", json=bodies[i], headers=headers[i])
        return r.status_code, time.perf_counter() - t

    return await _race([one(i) for i in range(len(headers))], start)


def _row(name: str, seconds: list[float], note: str = "") -> str:
    ms = sorted(s * 1000 for s in seconds)
    p50 = statistics.median(ms)
    return f"| {name:<58} | {len(ms):>5} | {p50:>8.1f} | {ms[-1]:>8.1f} | {note}"


def _rows(label: str, rounds: list[tuple[float, Answers]], players: int) -> list[str]:
    bad = sum(Counter(s for s, _ in a) != Counter({200: 1, 409: players - 1}) for _, a in rounds)
    ok = "exactly one winner in every round" if not bad else f"{bad} BAD ROUNDS"
    lines = [
        _row(f"{label}: whole round", [t for t, _ in rounds], ok),
        _row(f"{label}: winner's request", [t for _, a in rounds for s, t in a if s == 200]),
    ]
    losers = [t for _, a in rounds for s, t in a if s == 409]
    if losers:
        lines.append(_row(f"{label}: each loser's request (409)", losers))
    return lines


async def run(players: int, rounds: int) -> None:
    settings = Settings(
        environment="test",
        database_url=BENCH_URL,
        redis_url=BENCH_REDIS_URL,
        redis_channel_prefix=f"bench-claims-{uuid.uuid4().hex[:8]}",
        log_level="ERROR",
        nft_chain_autostart=False,
        nft_demo_on_start=False,
    )
    app = create_app(settings, background_sync=False)
    rng = random.Random(7)
    lines: list[str] = []
    async with app.router.lifespan_context(app):
        resources: Resources = app.state.resources
        nfts = resources.component(NftComponent)
        await nfts.chain()
        async with resources.session_factory() as session:
            placer = await player(session)
            racers = [await player(session, wallet=new_address()) for _ in range(players)]
            await session.commit()
        headers = [auth_headers(app, u) for u in racers]
        async with AsyncClient(
            transport=ASGITransport(app=app), base_url="http://bench", timeout=120
        ) as client:
            for label, group in (
                ("claim, uncontended (1 player)", headers[:1]),
                (f"claim race ({players} players)", headers),
            ):
                results = []
                for _ in range(rounds):
                    async with resources.session_factory() as session:
                        nft_id = await placed_in_custody(
                            resources=resources, session=session, nfts=nfts, placer=placer
                        )
                    results.append(await claim_round(client, nft_id, group, rng))
                lines += _rows(label, results, len(group))

    conns = [
        await psycopg.AsyncConnection.connect(
            _dsn(make_url(BENCH_URL).database or ""), autocommit=True
        )
        for _ in range(players)
    ]
    try:
        results = []
        for r in range(rounds):
            await conns[0].execute("INSERT INTO bench_race VALUES (%s, NULL)", (r,))
            results.append(await baseline_round(conns, r))
        lines += _rows(f"baseline: conditional UPDATE race ({players} conns)", results, players)
    finally:
        for c in conns:
            await c.close()

    print(f"\n## Claim under contention ({rounds} rounds each)")
    print(f"| {'what':<58} | {'n':>5} | {'p50 ms':>8} | {'max ms':>8} | note")
    print(f"|{'-' * 60}|{'-' * 7}|{'-' * 10}|{'-' * 10}|------")
    for line in lines:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    prepare_database()
    asyncio.run(run(args.players, args.rounds))


if __name__ == "__main__":
    main()
