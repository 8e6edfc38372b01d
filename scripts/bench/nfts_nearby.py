"""`/api/nfts/nearby` benchmark: the raw PostGIS query that answers the same question, the
service function in-process, and over HTTP against `/api/nearby?kinds=nft` and an empty
endpoint, all on the same query points in one run.

    python -m scripts.bench.nfts_nearby [--n 200000] [--seconds 5] [--connections 16]

Loads N placements (a quarter of them NFTs, each with its registry and NFT-placement rows)
into a separate database (BENCH_NFT_DATABASE_URL, default `cyberspace_bench_nfts`), reused by
later runs with the same N. The server runs with NFT_CHAIN_ENABLED=false: nearby never
touches the chain.
"""

import argparse
import asyncio
import os
import subprocess
import time
import uuid

import numpy as np
import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import make_session_factory
from app.nfts.placing import nearby_nfts
from app.nfts.queries import NearbyMetaCache
from app.placements.service import NearbyLimits
from geo.h3cells import cells_of
from scripts.bench.common import Figure, print_table, run_wrk, time_async, uvicorn_server
from scripts.bench.nearby import libpq, metro_points

BENCH_NFT_DATABASE_URL = os.environ.get(
    "BENCH_NFT_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_bench_nfts",
)
BENCH_NFT_REDIS_URL = os.environ.get("BENCH_NFT_REDIS_URL", "redis://127.0.0.1:6379/13")
KINDS = ["nft", "space", "portal", "marker"]
CONTRACT = "0x" + "ab" * 20
HOLDER = "0x" + "cd" * 20

# What /api/nfts/nearby answers, written directly in PostGIS: the baseline.
RAW_QUERY = """
SELECT n.id, n.name, n.image, n.attributes, np.claim_radius_m, np.hint, p.id,
       ST_Y(p.location::geometry), ST_X(p.location::geometry), p.altitude_m,
       ST_Distance(p.location, q.g) AS d,
       degrees(ST_Azimuth(q.g, p.location)) AS bearing
FROM (SELECT ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)::geography AS g) q,
     placements p
JOIN nft_placements np ON np.placement_id = p.id
JOIN nfts n ON n.id = np.nft_id
WHERE p.kind = 'nft' AND p.active AND np.state = 'active'
  AND (np.visible_from IS NULL OR np.visible_from <= now())
  AND (np.visible_until IS NULL OR np.visible_until > now())
  AND ST_DWithin(p.location, q.g, %(radius)s)
ORDER BY d, p.id
LIMIT %(limit)s
"""


def prepare_database(n: int) -> None:
    name = make_url(BENCH_NFT_DATABASE_URL).database
    with psycopg.connect(libpq(BENCH_NFT_DATABASE_URL, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [".venv/bin/alembic", "-x", f"url={BENCH_NFT_DATABASE_URL}", "upgrade", "head"],
        check=True,
        capture_output=True,
    )
    with psycopg.connect(libpq(BENCH_NFT_DATABASE_URL)) as conn:
        count = conn.execute("SELECT count(*) FROM placements").fetchone()[0]  # type: ignore[index]
        if count == n:
            print(f"[bench] reusing {n:,} placements in {name}")
            return
        print(f"[bench] loading {n:,} placements into {name} ...", flush=True)
        started = time.perf_counter()
        rng = np.random.default_rng(42)
        lats, lngs = metro_points(rng, n)
        cells = cells_of(lats, lngs)
        conn.execute("TRUNCATE placements, nfts CASCADE")
        columns = "id, kind, title, location, altitude_m, h3_cell, active"
        with conn.cursor().copy(f"COPY placements ({columns}) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row(
                    (
                        uuid.UUID(int=i + 1),
                        KINDS[i % 4],
                        f"bench {i}",
                        f"SRID=4326;POINT({lngs[i]:.7f} {lats[i]:.7f})",
                        520.0 if i % 3 == 0 else None,
                        int(cells[i]),
                        True,
                    )
                )
        nft_rows = range(0, n, 4)
        with conn.cursor().copy(
            "COPY nfts (id, chain_id, contract, token_id, standard, amount, name, image) FROM STDIN"
        ) as copy:
            for i in nft_rows:
                image = f"https://example.com/{i}.png"
                copy.write_row((f"bench-{i}", 1, CONTRACT, i + 1, "erc721", 1, f"Item {i}", image))
        with conn.cursor().copy(
            "COPY nft_placements (placement_id, nft_id, holder, claim_radius_m, state) FROM STDIN"
        ) as copy:
            for i in nft_rows:
                copy.write_row((uuid.UUID(int=i + 1), f"bench-{i}", HOLDER, 30.0, "active"))
        conn.commit()
        conn.execute("ANALYZE")
        print(f"[bench] loaded in {time.perf_counter() - started:.1f} s", flush=True)


async def in_process_figures(
    points: list[tuple[float, float]], args: argparse.Namespace
) -> list[Figure]:
    from redis.asyncio import Redis

    from app.placements.index import PlacementIndex
    from app.placements.sync import PlacementIndexSync

    engine = create_async_engine(BENCH_NFT_DATABASE_URL, pool_size=8)
    factory = make_session_factory(engine)
    redis = Redis.from_url(BENCH_NFT_REDIS_URL)
    sync = PlacementIndexSync(
        index=PlacementIndex(),
        session_factory=factory,
        redis=redis,
        channel="bench-nfts",
        poll_seconds=5,
    )
    await sync.refresh()
    limits = NearbyLimits(args.radius, 50_000, args.limit, 200)
    pool = AsyncConnectionPool(libpq(BENCH_NFT_DATABASE_URL), min_size=8, max_size=8, open=False)
    await pool.open()

    async def raw(i: int) -> None:
        lat, lng = points[i % len(points)]
        async with pool.connection() as conn:
            params = {"lat": lat, "lng": lng, "radius": args.radius, "limit": args.limit}
            await (await conn.execute(RAW_QUERY, params)).fetchall()

    cache = NearbyMetaCache()

    async def service(i: int, use_cache: bool = False) -> None:
        lat, lng = points[i % len(points)]
        async with factory() as session:
            await nearby_nfts(
                index=sync.index,
                limits=limits,
                session=session,
                lat=lat,
                lng=lng,
                radius_m=args.radius,
                limit=args.limit,
                cache=cache if use_cache else None,
            )

    async def cached(i: int) -> None:
        await service(i, use_cache=True)

    for i in range(len(points)):  # warm the cache, as a running server's is
        await cached(i)

    figures = [
        await time_async(
            "raw PostGIS (KNN + joins, psycopg, 8 conns)", raw, seconds=args.seconds, concurrency=8
        ),
        await time_async(
            "service: nearby_nfts (index + 1 SQL join)",
            service,
            seconds=args.seconds,
            concurrency=8,
        ),
        await time_async(
            "service: nearby_nfts (index + warm cache)",
            cached,
            seconds=args.seconds,
            concurrency=8,
        ),
    ]
    await pool.close()
    await engine.dispose()
    await redis.aclose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--radius", type=float, default=500.0)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()

    prepare_database(args.n)
    rng = np.random.default_rng(7)
    qlats, qlngs = metro_points(rng, 5000)
    points = list(zip(qlats.tolist(), qlngs.tolist(), strict=True))

    figures = asyncio.run(in_process_figures(points, args))
    print_table("in process (asyncio, 8 concurrent)", figures, figures[0])

    env = {
        "DATABASE_URL": BENCH_NFT_DATABASE_URL,
        "REDIS_URL": BENCH_NFT_REDIS_URL,
        "REDIS_CHANNEL_PREFIX": "bench-nfts",
        "NFT_CHAIN_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    query = f"lat=%.7f&lng=%.7f&radius_m={args.radius:g}&limit={args.limit}"
    c, secs, pts = args.connections, args.seconds, points[:2000]
    with uvicorn_server("scripts.bench.app:create_bench_app", env) as base:
        http = [
            run_wrk("HTTP empty endpoint (baseline)", f"{base}/bench/empty", connections=c,
                    seconds=secs),
            run_wrk("HTTP /api/nearby?kinds=nft", base, connections=c, seconds=secs, points=pts,
                    path_format=f"/api/nearby?kinds=nft&{query}"),
            run_wrk("HTTP /api/nfts/nearby", base, connections=c, seconds=secs, points=pts,
                    path_format=f"/api/nfts/nearby?{query}"),
        ]  # fmt: skip
    print_table("HTTP (uvicorn, 1 worker; wrk, 1 thread)", http, http[0])
    print(
        f"\n/api/nfts/nearby vs /api/nearby?kinds=nft: {http[2].ops_per_s / http[1].ops_per_s:.2f}"
        f"; vs empty endpoint: {http[2].ops_per_s / http[0].ops_per_s:.2f}"
        f"; service (warm cache) vs raw PostGIS, in process: "
        f"{figures[2].ops_per_s / figures[0].ops_per_s:.2f}"
    )


if __name__ == "__main__":
    main()
