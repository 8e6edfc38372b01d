"""Nearby discovery benchmark: PostGIS, H3-prefiltered PostGIS, Redis GEOSEARCH, the in-process
engine, and the HTTP endpoint against an empty endpoint, all on the same points in one run.

    python -m scripts.bench.nearby [--n 1000000] [--seconds 10] [--connections 16] [--repeat 3]

Loads N placements into a separate database (BENCH_DATABASE_URL, default `cyberspace_bench`)
and Redis DB 14; both are reused by later runs with the same N.
"""

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
import uuid

import numpy as np
import psycopg
from psycopg_pool import AsyncConnectionPool
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy.engine import make_url

from app.placements.index import PlacementIndex
from app.placements.service import NearbyLimits, nearby_placements
from app.placements.sync import PlacementIndexSync
from geo.h3cells import cells_of, circle_cover, cover_ranges
from scripts.bench.common import (
    Figure,
    median_figure,
    print_table,
    rss_mib,
    run_wrk,
    time_async,
    time_sync,
    uvicorn_server,
)

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_bench"
)
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
GEO_KEY = "bench:placements"
MUNICH = (48.1371, 11.5754)
KINDS = np.array(["nft", "space", "portal", "marker"])
NFT = frozenset({"nft"})


def libpq(url: str, database: str | None = None) -> str:
    u = make_url(url)
    return (
        f"host={u.host or '127.0.0.1'} port={u.port or 5432} "
        f"user={u.username or 'postgres'} dbname={database or u.database}"
    )


def metro_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points around Munich: Gaussian (sigma 10 km) clipped at 40 km — a metro area."""
    r = np.minimum(np.abs(rng.normal(0, 10_000, n)), 40_000)
    theta = rng.uniform(0, 2 * np.pi, n)
    # Metres to degrees is fine for *generating* points; results are measured geodesically.
    lats = MUNICH[0] + r * np.cos(theta) / 111_320
    lngs = MUNICH[1] + r * np.sin(theta) / (111_320 * np.cos(np.radians(MUNICH[0])))
    return lats, lngs


def generate(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    metro = int(n * 0.9)
    lats, lngs = metro_points(rng, metro)
    background_lats = rng.uniform(35, 60, n - metro)  # the rest of Europe
    background_lngs = rng.uniform(-10, 30, n - metro)
    return np.concatenate([lats, background_lats]), np.concatenate([lngs, background_lngs])


def prepare_database(n: int) -> None:
    name = make_url(BENCH_DATABASE_URL).database
    with psycopg.connect(libpq(BENCH_DATABASE_URL, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [".venv/bin/alembic", "-x", f"url={BENCH_DATABASE_URL}", "upgrade", "head"],
        check=True,
        capture_output=True,
    )
    with psycopg.connect(libpq(BENCH_DATABASE_URL)) as conn:
        count = conn.execute("SELECT count(*) FROM placements").fetchone()[0]  # type: ignore[index]
        if count == n:
            print(f"[bench] reusing {n:,} placements in {name}")
            return
        print(f"[bench] loading {n:,} placements into {name} ...", flush=True)
        started = time.perf_counter()
        lats, lngs = generate(n)
        cells = cells_of(lats, lngs)
        conn.execute("TRUNCATE placements CASCADE")
        # Bulk load without indexes, then build them: minutes faster than indexed inserts.
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'placements' "
            "AND indexname NOT LIKE 'pk_%%'"
        ).fetchall()
        for index_name, _ in indexes:
            conn.execute(f'DROP INDEX "{index_name}"')
        columns = "id, kind, title, location, altitude_m, h3_cell, active"
        with conn.cursor().copy(f"COPY placements ({columns}) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row(
                    (
                        uuid.UUID(int=i + 1),
                        KINDS[i % 4],
                        f"bench {i}",
                        f"SRID=4326;POINT({lngs[i]:.7f} {lats[i]:.7f})",
                        None,
                        int(cells[i]),
                        True,
                    )
                )
        for _, definition in indexes:
            conn.execute(definition)
        conn.commit()
        conn.execute("ANALYZE placements")
        print(f"[bench] loaded in {time.perf_counter() - started:.1f} s", flush=True)


def prepare_redis(n: int) -> None:
    redis = Redis.from_url(BENCH_REDIS_URL)
    if redis.zcard(GEO_KEY) == n:
        return
    redis.delete(GEO_KEY)
    lats, lngs = generate(n)
    pipe = redis.pipeline(transaction=False)
    for i in range(n):
        pipe.geoadd(GEO_KEY, (float(lngs[i]), float(lats[i]), str(uuid.UUID(int=i + 1))))
        if i % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()
    redis.close()


KNN_SQL = """
SELECT id, ST_Distance(location, q.g) AS d
FROM placements, (SELECT ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)::geography AS g) q
WHERE active AND ST_DWithin(location, q.g, %(r)s)
ORDER BY location <-> q.g LIMIT %(limit)s
"""

H3_SQL = """
SELECT id, ST_Distance(location, q.g) AS d
FROM placements
JOIN unnest(%(lo)s::bigint[], %(hi)s::bigint[]) AS r(lo, hi) ON h3_cell BETWEEN r.lo AND r.hi,
     (SELECT ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)::geography AS g) q
WHERE active AND ST_DWithin(location, q.g, %(r)s)
ORDER BY d LIMIT %(limit)s
"""

PGBENCH_SCRIPT = """
\\set a random(0, 1000000)
\\set b random(0, 1000000)
\\set lng 11.45 + :b * 0.00000025
\\set lat 48.06 + :a * 0.00000015
SELECT id FROM placements,
  (SELECT ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography AS g) q
WHERE active AND ST_DWithin(location, q.g, {radius}) ORDER BY location <-> q.g LIMIT {limit};
"""


def pgbench(seconds: int, connections: int, radius: float, limit: int) -> Figure:
    """The KNN query driven by pgbench (a C client), so Python is not the bottleneck."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(radius=radius, limit=limit))
    u = make_url(BENCH_DATABASE_URL)
    out = subprocess.run(
        [
            "/usr/lib/postgresql/15/bin/pgbench",
            "-n",
            "-f",
            script.name,
            "-c",
            str(connections),
            "-j",
            "1",
            "-T",
            str(seconds),
            "-r",
            "-h",
            u.host or "127.0.0.1",
            "-p",
            str(u.port or 5432),
            "-U",
            u.username or "postgres",
            u.database or "",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    tps = float(out.split("tps = ")[1].split()[0])
    latency = float(out.split("latency average = ")[1].split()[0])
    return Figure("PostGIS KNN via pgbench (C client)", tps, latency, float("nan"), "avg latency")


async def database_figures(
    points: list[tuple[float, float]], args: argparse.Namespace
) -> list[Figure]:
    pool = AsyncConnectionPool(libpq(BENCH_DATABASE_URL), min_size=args.connections, open=False)
    await pool.open()

    async def knn(i: int) -> None:
        lat, lng = points[i % len(points)]
        async with pool.connection() as conn:
            await (
                await conn.execute(
                    KNN_SQL, {"lat": lat, "lng": lng, "r": args.radius, "limit": args.limit}
                )
            ).fetchall()

    async def h3_prefiltered(i: int) -> None:
        lat, lng = points[i % len(points)]
        ranges = cover_ranges(circle_cover(lat, lng, args.radius))
        params = {
            "lat": lat,
            "lng": lng,
            "r": args.radius,
            "limit": args.limit,
            "lo": ranges[:, 0].tolist(),
            "hi": ranges[:, 1].tolist(),
        }
        async with pool.connection() as conn:
            await (await conn.execute(H3_SQL, params)).fetchall()

    redis = AsyncRedis.from_url(BENCH_REDIS_URL, max_connections=args.connections)

    async def geosearch(i: int) -> None:
        lat, lng = points[i % len(points)]
        await redis.geosearch(
            GEO_KEY,
            longitude=lng,
            latitude=lat,
            radius=args.radius,
            unit="m",
            sort="ASC",
            count=args.limit,
            withdist=True,
        )

    c = args.connections
    figures = [
        await time_async(
            "PostGIS KNN (psycopg, asyncio)", knn, seconds=args.seconds, concurrency=c
        ),
        await time_async(
            "PostGIS H3-prefiltered (psycopg, asyncio)",
            h3_prefiltered,
            seconds=args.seconds,
            concurrency=c,
        ),
        await time_async(
            "Redis GEOSEARCH (redis-py, asyncio)", geosearch, seconds=args.seconds, concurrency=c
        ),
    ]
    await pool.close()
    await redis.aclose()
    return figures


async def load_engine() -> tuple[PlacementIndex, float, float]:
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.core.db import make_session_factory

    engine = create_async_engine(BENCH_DATABASE_URL)
    redis = AsyncRedis.from_url(BENCH_REDIS_URL)
    sync = PlacementIndexSync(
        index=PlacementIndex(),
        session_factory=make_session_factory(engine),
        redis=redis,
        channel="bench",
        poll_seconds=5,
    )
    rss_before = rss_mib()
    started = time.perf_counter()
    await sync.refresh()
    load_s = time.perf_counter() - started
    await engine.dispose()
    await redis.aclose()
    return sync.index, load_s, rss_mib() - rss_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--radius", type=float, default=500.0)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the engine and HTTP figures (medians)"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    prepare_database(args.n)
    prepare_redis(args.n)
    rng = np.random.default_rng(7)
    qlats, qlngs = metro_points(rng, 5000)
    points = list(zip(qlats.tolist(), qlngs.tolist(), strict=True))

    index, load_s, index_mib = asyncio.run(load_engine())
    print(f"[bench] engine: {len(index):,} placements loaded in {load_s:.1f} s, "
          f"+{index_mib:.0f} MiB RSS")  # fmt: skip
    hits = [
        len(index.nearby(lat, lng, radius_m=args.radius, limit=1000).hits)
        for lat, lng in points[:500]
    ]
    print(f"[bench] objects within {args.radius:g} m of a query point: mean {np.mean(hits):.0f}, "
          f"median {np.median(hits):.0f}")  # fmt: skip

    limits = NearbyLimits(args.radius, 50_000, args.limit, 200)
    engine_runs: list[list[Figure]] = [[], [], []]
    for _ in range(args.repeat):
        engine_runs[0].append(
            time_sync(
                "engine: PlacementIndex.nearby (1 thread)",
                lambda i: index.nearby(
                    *points[i % len(points)], radius_m=args.radius, limit=args.limit
                ),
                seconds=args.seconds,
            )
        )
        engine_runs[1].append(
            time_sync(
                "engine + service layer (validation, page dict)",
                lambda i: nearby_placements(
                    index=index,
                    limits=limits,
                    lat=points[i % len(points)][0],
                    lng=points[i % len(points)][1],
                    radius_m=args.radius,
                    limit=args.limit,
                ),
                seconds=args.seconds,
            )
        )
        engine_runs[2].append(
            time_sync(
                "engine, kinds=nft (a quarter of the objects)",
                lambda i: index.nearby(
                    *points[i % len(points)], radius_m=args.radius, limit=args.limit, kinds=NFT
                ),
                seconds=args.seconds,
            )
        )
    engine_figures = [median_figure(runs) for runs in engine_runs]

    db_figures = [pgbench(args.seconds, args.connections, args.radius, args.limit)]
    db_figures += asyncio.run(database_figures(points, args))

    env = {
        "DATABASE_URL": BENCH_DATABASE_URL,
        "REDIS_URL": BENCH_REDIS_URL,
        "LOG_LEVEL": "INFO",
        "REDIS_CHANNEL_PREFIX": "bench",
    }
    empties: list[Figure] = []
    endpoints: list[Figure] = []
    with uvicorn_server("scripts.bench.app:create_bench_app", env) as base:
        c = args.connections
        # Warm up (first requests build caches; the index is loaded before /readyz is 200).
        run_wrk("warm-up", f"{base}/bench/empty", connections=c, seconds=2)
        for _ in range(args.repeat):
            # Alternate the two, so a burst of load from elsewhere hits both alike.
            empties.append(
                run_wrk(
                    "HTTP empty endpoint (baseline)",
                    f"{base}/bench/empty",
                    connections=c,
                    seconds=args.seconds,
                )
            )
            endpoints.append(
                run_wrk(
                    "HTTP GET /api/nearby",
                    base,
                    connections=c,
                    seconds=args.seconds,
                    points=points[:2000],
                    path_format=(
                        f"/api/nearby?lat=%.7f&lng=%.7f&radius_m={args.radius:g}&limit={args.limit}"
                    ),
                )
            )
            print(
                f"[bench] HTTP run: empty {empties[-1].ops_per_s:,.0f}/s, "
                f"nearby {endpoints[-1].ops_per_s:,.0f}/s "
                f"(p99 {endpoints[-1].p99_ms:.1f} ms), "
                f"ratio {endpoints[-1].ops_per_s / empties[-1].ops_per_s:.2f}",
                flush=True,
            )
    empty, endpoint = median_figure(empties), median_figure(endpoints)

    print(f"\n# Nearby benchmark: {args.n:,} placements, radius {args.radius:g} m, "
          f"top {args.limit}, {args.connections} connections, {args.seconds} s each")  # fmt: skip
    print_table(
        "In-process engine vs PostGIS (per query)", [*engine_figures, *db_figures], db_figures[0]
    )
    print_table("HTTP (uvicorn, 1 worker; wrk, 1 thread)", [empty, endpoint], empty)
    ratios = [e.ops_per_s / b.ops_per_s for e, b in zip(endpoints, empties, strict=True)]
    ratio = float(np.median(ratios))
    print(
        f"\nendpoint / empty endpoint throughput: {ratio:.2f} "
        f"(median; each run: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    cpu_ratio = endpoint.cpu_ops_per_s / empty.cpu_ops_per_s
    print(
        f"endpoint / empty endpoint requests per server CPU-second: {cpu_ratio:.2f} "
        "(what the ratio would be with a core to itself)"
    )
    engine_rate = engine_figures[0].ops_per_s
    print(
        f"engine / PostGIS KNN (pgbench) throughput: {engine_rate / db_figures[0].ops_per_s:.1f}x"
    )
    print(f"engine / Redis GEOSEARCH throughput: {engine_rate / db_figures[3].ops_per_s:.1f}x")
    print("\n## Targets (issue 2)")
    checks = [
        (
            f"engine >= 5,000 queries/s at {args.n:,} (wall clock)",
            f"{engine_rate:,.0f}/s",
            engine_rate >= 5000,
        ),
        (
            f"engine >= 5,000 queries/s at {args.n:,} (per CPU-second: a core to itself)",
            f"{engine_figures[0].cpu_ops_per_s:,.0f}/s",
            engine_figures[0].cpu_ops_per_s >= 5000,
        ),
        ("endpoint >= 0.5x empty endpoint throughput", f"{ratio:.2f}x", ratio >= 0.5),
        (
            f"endpoint p99 < 50 ms at {args.connections} connections",
            f"{endpoint.p99_ms:.1f} ms",
            endpoint.p99_ms < 50,
        ),
    ]
    for what, value, met in checks:
        print(f"- {what}: {value} ({'met' if met else 'NOT met'})")
    print(f"total benchmark time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
