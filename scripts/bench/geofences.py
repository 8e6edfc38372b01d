"""Geofence point-check benchmark: the in-memory engine against PostGIS ST_Covers per point and
a shapely STRtree, on the same points in one run, sparse and dense; plus engine load time and
memory for N fences.

    python -m scripts.bench.geofences [--n 100000] [--seconds 5] [--batch 1000]

Fences (mixed star polygons of 10-200 vertices and 128-vertex circles, radius 50 m - 2 km,
centres scattered around Munich) are generated once, with their stored H3 covers, into a
separate database (BENCH_GEOFENCES_DATABASE_URL, default `cyberspace_bench_geofences_v2`, migrated
to 0005 only) and reused by later runs with the same N. Everything runs on one core.
"""

import argparse
import asyncio
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import psycopg
import shapely
from alembic import command
from alembic.config import Config
from redis.asyncio import Redis
from shapely.geometry import Polygon
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import make_session_factory
from app.core.heap import settle_after_start
from app.geofences.engine import GeofenceEngine
from app.geofences.sync import GeofenceSync
from app.settings import get_settings
from geo.fence_cover import cells_to_bytes, fence_cover
from geo.geodesy import GEOD
from geo.polygons import circle_polygon, geodesic_area_m2
from scripts.bench.common import ROOT, Figure, print_table, rss_mib, time_sync

BENCH_URL = os.environ.get(
    "BENCH_GEOFENCES_DATABASE_URL",
    # The suffix changes with the cover rule (geo.fence_cover), so older covers are not reused.
    "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_bench_geofences_v2",
)
MUNICH = (48.1371, 11.5754)
# Fence centres: uniform direction, distance from Munich half-normal (sigma 20 km, clipped at
# 60 km): dense in the middle, thinning out.
CENTRE_SIGMA_M = 20_000.0
SEED = 20261126


def libpq(url: str, database: str | None = None) -> str:
    u = make_url(url)
    return (
        f"host={u.host or '127.0.0.1'} port={u.port or 5432} "
        f"user={u.username or 'postgres'} dbname={database or u.database}"
    )


def offsets(rng: np.random.Generator, n: int, sigma_m: float, clip_m: float) -> np.ndarray:
    """(lat, lng) rows around Munich; metres to degrees is fine for generating points."""
    r = np.minimum(np.abs(rng.normal(0, sigma_m, n)), clip_m)
    theta = rng.uniform(0, 2 * np.pi, n)
    lat = MUNICH[0] + r * np.cos(theta) / 111_320
    lng = MUNICH[1] + r * np.sin(theta) / (111_320 * np.cos(np.radians(MUNICH[0])))
    return np.column_stack([lat, lng])


def make_fence(
    i: int,
) -> tuple[str, str, float | None, float | None, float | None, float, int, bytes, bytes]:
    """Fence i (deterministic): its EWKB hex, circle fields, area and stored cover."""
    rng = np.random.default_rng([SEED, i])
    lat, lng = offsets(rng, 1, CENTRE_SIGMA_M, 3 * CENTRE_SIGMA_M)[0]
    radius = float(np.exp(rng.uniform(np.log(50.0), np.log(2000.0))))
    circle: tuple[float | None, float | None, float | None]
    if rng.random() < 0.3:
        geom: Polygon = circle_polygon(lat, lng, radius, segments=128)
        kind, circle = "circle", (float(lat), float(lng), radius)
    else:
        vertices = int(rng.integers(10, 201))
        azimuths = -np.sort(rng.uniform(0.0, 360.0, vertices))
        radii = rng.uniform(0.4, 1.0, vertices) * radius
        lngs, lats, _ = GEOD.fwd(np.full(vertices, lng), np.full(vertices, lat), azimuths, radii)
        geom = Polygon(np.column_stack([lngs, lats]))
        kind, circle = "polygon", (None, None, None)
    cover = fence_cover(geom)
    ewkb = shapely.to_wkb(shapely.set_srid(geom, 4326), hex=True, include_srid=True)
    return (
        kind,
        ewkb,
        *circle,
        geodesic_area_m2(geom),
        cover.res,
        cells_to_bytes(cover.interior),
        cells_to_bytes(cover.boundary),
    )


def ensure_fences(n: int) -> float:
    """Create and fill the bench database unless it already holds exactly n fences."""
    name = make_url(BENCH_URL).database
    with psycopg.connect(libpq(BENCH_URL, "postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = BENCH_URL
    config.attributes["configure_logger"] = False
    command.upgrade(config, "0005")
    with psycopg.connect(libpq(BENCH_URL)) as conn:
        count = conn.execute("SELECT count(*) FROM geofences").fetchone()
        if count and count[0] == n:
            return 0.0
        print(f"generating {n:,} fences with covers (once; reused by later runs) ...")
        started = time.perf_counter()
        conn.execute("TRUNCATE geofences")
        with (
            multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool,
            conn.cursor() as cur,
            cur.copy(
                "COPY geofences (id, name, kind, geom, center_lat, center_lng, radius_m, "
                "area_m2, cover_res, cover_interior, cover_boundary) FROM STDIN"
            ) as copy,
        ):
            for i, row in enumerate(pool.imap(make_fence, range(n), chunksize=200)):
                copy.write_row((uuid.UUID(int=i + 1), f"bench {i}", *row))
        conn.commit()
        conn.execute("ANALYZE geofences")
        return time.perf_counter() - started


async def load_engine() -> tuple[GeofenceEngine, float, float]:
    """The start-up path: one GeofenceSync.refresh from PostgreSQL. (engine, s, MiB)."""
    db = create_async_engine(BENCH_URL)
    redis = Redis.from_url("redis://127.0.0.1:1/0")  # never used by refresh
    engine = GeofenceEngine()
    sync = GeofenceSync(
        engine=engine,
        session_factory=make_session_factory(db),
        redis=redis,
        channel="unused",
        poll_seconds=60.0,
    )
    before = rss_mib()
    print(f"process RSS before the load: {before:.0f} MiB")
    started, cpu_started = time.perf_counter(), time.process_time()
    await sync.refresh()
    elapsed = time.perf_counter() - started
    print(f"engine load CPU time (this process): {time.process_time() - cpu_started:.2f} s")
    after = rss_mib()
    await db.dispose()
    await redis.aclose()
    return engine, elapsed, after - before


def backend_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a local process (the PostgreSQL backend serving us)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batches(points: np.ndarray, size: int) -> Iterator[np.ndarray]:
    while True:
        for start in range(0, len(points) - size + 1, size):
            yield points[start : start + size]


def bench_points(
    label: str,
    points: np.ndarray,
    engine: GeofenceEngine,
    tree: shapely.STRtree,
    conn: psycopg.Connection,
    seconds: float,
    batch: int,
) -> list[Figure]:
    # The first pass also builds the box raster (and, on a first MIXED pair, the per-row edge
    # lists) of every fence it tests, once per fence.
    started, cpu_started = time.perf_counter(), time.process_time()
    per_point = engine.containing_batch(points[:, 0], points[:, 1])
    print(
        f"{label}: first pass over {len(points):,} points (builds rasters and edge lists on "
        f"first use): {time.perf_counter() - started:.2f} s wall, "
        f"{time.process_time() - cpu_started:.2f} s CPU"
    )
    offsets, ids = engine.containing_batch_csr(points[:, 0], points[:, 1])
    same = all(
        len(got) == offsets[i + 1] - offsets[i] and got == set(ids[offsets[i] : offsets[i + 1]])
        for i, got in enumerate(per_point)
    )
    print(f"{label}: containing_batch_csr == containing_batch on all points: {same}")
    density = sum(len(s) for s in per_point) / len(points)
    note = f"{density:.2f} fences/point"

    def batched(name: str, call: Callable[[np.ndarray], object], note: str = "") -> Figure:
        """A figure for `call` over batches of points, counted per point."""
        chunks = batches(points, batch)
        figure = time_sync(
            f"{label}: {name}, batches of {batch}",
            lambda _: call(next(chunks)),
            seconds=seconds,
            note=note,
        )
        figure.ops_per_s *= batch
        figure.cpu_ops_per_s *= batch
        return figure

    engine_batch = batched("engine", lambda c: engine.containing_batch(*c.T), note=note)
    csr_batch = batched(
        "engine, fence ids per point as CSR (no sets)",
        lambda c: engine.containing_batch_csr(*c.T),
    )
    index_batch = batched(
        "engine index only (slot pairs, no id sets)", lambda c: engine.index.covering(*c.T)
    )
    single = iter(np.tile(points, (50, 1)).tolist())
    engine_one = time_sync(
        f"{label}: engine, one point per call",
        lambda _: engine.containing(*next(single)),
        seconds=seconds,
    )
    strtree = batched(
        "shapely STRtree",
        lambda c: tree.query(shapely.points(c[:, ::-1]), predicate="covered_by"),
    )
    sql = (
        "SELECT id FROM geofences WHERE deleted_at IS NULL "
        "AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
    )
    db_points = iter(np.tile(points, (50, 1)).tolist())

    def postgis(_: int) -> None:
        lat, lng = next(db_points)
        conn.execute(sql, [lng, lat], prepare=True).fetchall()

    backend = conn.execute("SELECT pg_backend_pid()").fetchone()
    server_cpu = backend_cpu_s(int(backend[0])) if backend else 0.0
    client_cpu = time.process_time()
    postgis_fig = time_sync(
        f"{label}: PostGIS ST_Covers, one query per point", postgis, seconds=seconds
    )
    # Per CPU-second of the database backend plus this client, both on this box.
    used = (time.process_time() - client_cpu) + (
        backend_cpu_s(int(backend[0])) - server_cpu if backend else 0.0
    )
    postgis_fig.cpu_ops_per_s = postgis_fig.ops_per_s * seconds / used if used else float("nan")

    # Same answers: the engine against PostGIS on a sample of these points.
    sample = points[:500]
    mismatches = 0
    for (lat, lng), got in zip(sample.tolist(), per_point[:500], strict=True):
        rows = conn.execute(sql, [lng, lat], prepare=True).fetchall()
        mismatches += {r[0] for r in rows} != got
    postgis_fig.note = f"engine == PostGIS on {len(sample)} points: {mismatches == 0}"
    return [engine_batch, csr_batch, index_batch, engine_one, strtree, postgis_fig]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--points", type=int, default=200_000)
    args = parser.parse_args()

    built = ensure_fences(args.n)
    if built:
        print(f"generated and stored {args.n:,} fences in {built:.1f} s")
    engine, load_s, load_mib = asyncio.run(load_engine())
    # As the service does once its components have started (app/main.py): the engine's
    # objects go to the collector's permanent generation, young collections get rarer.
    settle_after_start(get_settings().gc_gen0_threshold)
    print(
        f"\nengine load: {len(engine):,} fences, {engine.index.cell_count():,} cover cells, "
        f"{load_s:.2f} s, RSS +{load_mib:.0f} MiB"
    )
    started = time.perf_counter()
    tree = shapely.STRtree(engine.index._geoms[engine.index._alive])
    print(f"STRtree build (baseline only): {time.perf_counter() - started:.2f} s")

    rng = np.random.default_rng(SEED)
    # Dense: a ring 18-25 km from the centre of the fence cloud (its radial density is
    # half-normal, so the very centre holds hundreds of fences per point). Sparse: uniform over
    # a 5 x 5 degree box.
    r = rng.uniform(18_000.0, 25_000.0, args.points)
    theta = rng.uniform(0, 2 * np.pi, args.points)
    dense = np.column_stack(
        [
            MUNICH[0] + r * np.cos(theta) / 111_320,
            MUNICH[1] + r * np.sin(theta) / (111_320 * np.cos(np.radians(MUNICH[0]))),
        ]
    )
    sparse = np.column_stack(
        [
            MUNICH[0] + rng.uniform(-2.5, 2.5, args.points),
            MUNICH[1] + rng.uniform(-2.5, 2.5, args.points),
        ]
    )
    with psycopg.connect(libpq(BENCH_URL), autocommit=True) as conn:
        for label, points in (("sparse", sparse), ("dense", dense)):
            figures = bench_points(label, points, engine, tree, conn, args.seconds, args.batch)
            print_table(
                f"{label} points, {args.n:,} fences (one core)", figures, baseline=figures[-1]
            )
            print(f"process RSS after the {label} run: {rss_mib():.0f} MiB")
            rasters, edges = engine.index.lazy_nbytes()
            print(f"fence rasters {rasters / 2**20:.0f} MiB, edge lists {edges / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
