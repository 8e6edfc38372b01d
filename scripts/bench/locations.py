"""Location-update benchmark: the transition path alone, and POST /api/locations end to end.

    python -m scripts.bench.locations [--fences 10000] [--players 10000] [--seconds 10]

1. Transition path (in process, one core): N fences (mixed 10-60-vertex polygons and 64-gon
   circles, 50-400 m across) in the engine, P players each moving ~10 m per update in a
   slowly turning direction; every update is classify (with the player's current fences and
   an accuracy margin) + the transition step, as the service runs it. Reported: updates/s and
   enter/exit events/s, one update at a time and with numpy-batched classification.
2. End to end: uvicorn (1 worker) on a bench database (BENCH_LOCATIONS_DATABASE_URL, default
   `cyberspace_bench_locations`, Redis DB 13), wrk posting batches of B updates for many
   players (each request: auth, plausibility, lock, engine, state diff, history, event log,
   commit, stream publish), next to the empty endpoint in the same run.
"""

import argparse
import asyncio
import math
import os
import pickle
import re
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg
from argon2 import PasswordHasher
from redis import Redis
from shapely.geometry import Polygon
from sqlalchemy.engine import make_url

from app.auth.tokens import TokenService
from app.geofences.engine import GeofenceEngine
from app.geofences.queries import FenceRow
from app.locations.transitions import Visit, step
from app.settings import Settings
from geo.fence_cover import cells_to_bytes, fence_cover
from geo.plausibility import hysteresis_margin_m
from geo.polygons import circle_polygon
from scripts.bench.common import (
    _SERVER_GROUPS,
    Figure,
    _wrk_ms,
    ensure_wrk,
    print_table,
    process_group_cpu_s,
    run_wrk,
    uvicorn_server,
)

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_LOCATIONS_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace_bench_locations",
)
BENCH_REDIS_URL = os.environ.get("BENCH_LOCATIONS_REDIS_URL", "redis://127.0.0.1:6379/13")
MUNICH = (48.1371, 11.5754)
M_PER_DEG = 111_195.0


def libpq(url: str, database: str | None = None) -> str:
    u = make_url(url)
    return (
        f"host={u.host or '127.0.0.1'} port={u.port or 5432} "
        f"user={u.username or 'postgres'} dbname={database or u.database}"
    )


# --- fences and movement --------------------------------------------------------------------


def area_side_m(n_fences: int, mean_area_m2: float, fences_per_point: float) -> float:
    return math.sqrt(n_fences * mean_area_m2 / fences_per_point)


def random_shapes(rng: np.random.Generator, n: int, side_m: float) -> list[Polygon]:
    """Star-shaped polygons (sorted angles never self-intersect) and geodesic circles."""
    lat0, lng0 = MUNICH
    m_lng = M_PER_DEG * math.cos(math.radians(lat0))
    shapes: list[Polygon] = []
    for i in range(n):
        x, y = rng.uniform(-side_m / 2, side_m / 2, 2)
        lat, lng = lat0 + y / M_PER_DEG, lng0 + x / m_lng
        radius = float(rng.uniform(25, 200))
        if i % 4 == 0:
            shapes.append(circle_polygon(lat, lng, radius))
            continue
        k = int(rng.integers(10, 61))
        angles = np.sort(rng.uniform(0, 2 * math.pi, k))
        radii = radius * rng.uniform(0.6, 1.0, k)
        ring = [
            (lng + r * math.cos(a) / m_lng, lat + r * math.sin(a) / M_PER_DEG)
            for a, r in zip(angles.tolist(), radii.tolist(), strict=True)
        ]
        shapes.append(Polygon(ring).buffer(0) if not Polygon(ring).is_valid else Polygon(ring))
    return shapes


def fence_rows(shapes: list[Polygon]) -> list[FenceRow]:
    rows = []
    for shape in shapes:
        cover = fence_cover(shape)
        rows.append(
            FenceRow(
                id=uuid.uuid4(), owner_id=None, name="bench", kind="polygon", version=1,
                active_from=None, active_until=None, dwell_seconds=None, tags=[],
                deleted=False, wkb=shape.wkb, cover_res=cover.res,
                cover_interior=cells_to_bytes(cover.interior),
                cover_boundary=cells_to_bytes(cover.boundary),
            )
        )  # fmt: skip
    return rows


def cached_fence_rows(rng: np.random.Generator, n: int, side_m: float) -> list[FenceRow]:
    """Building covers takes minutes for 10k fences: keep them between runs (temp dir)."""
    path = Path(tempfile.gettempdir()) / f"cyberspace-bench-fences-{n}-{side_m:.0f}.pickle"
    if path.exists():
        rows: list[FenceRow] = pickle.loads(path.read_bytes())  # our own file
        return rows
    rows = fence_rows(random_shapes(rng, n, side_m))
    path.write_bytes(pickle.dumps(rows))
    return rows


class Walkers:
    """P players, each ~10 m per update, heading turning a little every step."""

    def __init__(self, rng: np.random.Generator, n: int, side_m: float) -> None:
        self.rng = rng
        self.x = rng.uniform(-side_m / 2, side_m / 2, n)
        self.y = rng.uniform(-side_m / 2, side_m / 2, n)
        self.heading = rng.uniform(0, 2 * math.pi, n)
        self.half = side_m / 2
        self.m_lng = M_PER_DEG * math.cos(math.radians(MUNICH[0]))

    def move(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.x.size
        self.heading += self.rng.normal(0, 0.2, n)
        step_m = self.rng.uniform(8, 12, n)
        self.x = np.clip(self.x + step_m * np.cos(self.heading), -self.half, self.half)
        self.y = np.clip(self.y + step_m * np.sin(self.heading), -self.half, self.half)
        return MUNICH[0] + self.y / M_PER_DEG, MUNICH[1] + self.x / self.m_lng


def transition_bench(
    engine: GeofenceEngine, walkers: Walkers, *, seconds: float, batched: bool
) -> tuple[Figure, int, int]:
    """Run updates round after round (every player once per round) for `seconds`."""
    n = walkers.x.size
    visits: list[dict[uuid.UUID, Visit]] = [{} for _ in range(n)]
    margin = hysteresis_margin_m(8.0, factor=1.0, min_m=5.0, max_m=50.0)
    margins = np.full(n, margin)
    # Warm-up round: players start inside their fences without counting the initial enters.
    lats, lngs = walkers.move()
    for i, c in enumerate(engine.classify_batch(lats, lngs, margins, None, at=0.0)):
        step(visits[i], c, t=0.0, fence=engine.get)
    updates = events = 0
    t = 1.0
    started = time.perf_counter()
    cpu_started = time.process_time()
    while time.perf_counter() - started < seconds:
        lats, lngs = walkers.move()
        if batched:
            classified = engine.classify_batch(
                lats, lngs, margins, [v.keys() for v in visits], at=t
            )
            for i in range(n):
                events += len(step(visits[i], classified[i], t=t, fence=engine.get))
        else:
            for i, (lat, lng) in enumerate(zip(lats.tolist(), lngs.tolist(), strict=True)):
                c = engine.classify(lat, lng, margin, include=visits[i].keys(), at=t)
                events += len(step(visits[i], c, t=t, fence=engine.get))
        updates += n
        t += 1.0
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    name = "transition path, numpy-batched classify" if batched else "transition path, 1 update"
    # On a shared box the wall-clock rate understates the path: CPU seconds are reported too.
    figure = Figure(name, updates / elapsed, float("nan"), float("nan"),
                    f"{events / elapsed:,.0f} enter/exit events/s; "
                    f"{updates / cpu:,.0f} updates per CPU-second", updates / cpu)  # fmt: skip
    inside = sum(len(v) for v in visits) / n
    return figure, events, int(inside * 100)


# --- end to end ---------------------------------------------------------------------------


def prepare_database(n_fences: int, n_players: int, side_m: float) -> list[uuid.UUID]:
    name = make_url(BENCH_DATABASE_URL).database
    with psycopg.connect(libpq(BENCH_DATABASE_URL, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [".venv/bin/alembic", "-x", f"url={BENCH_DATABASE_URL}", "upgrade", "head"],
        check=True,
        capture_output=True,
    )
    rng = np.random.default_rng(11)
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("bench-password")
    with psycopg.connect(libpq(BENCH_DATABASE_URL)) as conn:
        conn.execute("TRUNCATE player_positions, location_history, player_fence_states, "
                     "geofence_events")  # fmt: skip
        have = conn.execute("SELECT count(*) FROM geofences WHERE deleted_at IS NULL").fetchone()
        users = [uuid.UUID(int=10**6 + i) for i in range(n_players)]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO users (id, username, email, password_hash, roles) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [
                    (u, f"bench_{i}", f"bench_{i}@example.com", hashed,
                     ["player", "organizer"] if i == 0 else ["player"])
                    for i, u in enumerate(users)
                ],
            )  # fmt: skip
        conn.commit()
        if have and have[0] == n_fences:
            print(f"[bench] reusing {n_fences:,} fences in {name}")
            return users
        print(f"[bench] creating {n_fences:,} fences through the API ...", flush=True)
    asyncio.run(_create_fences(users[0], n_fences, side_m, rng))
    return users


async def _create_fences(owner: uuid.UUID, n: int, side_m: float, rng: np.random.Generator) -> None:
    import httpx

    with psycopg.connect(libpq(BENCH_DATABASE_URL)) as conn:
        conn.execute("UPDATE geofences SET deleted_at = now() WHERE deleted_at IS NULL")
        conn.commit()
    shapes = random_shapes(rng, n, side_m)
    token = tokens([owner])[0]
    env = bench_env()
    with uvicorn_server("scripts.bench.app:create_bench_app", env) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            sem = asyncio.Semaphore(8)

            async def create(i: int, shape: Polygon) -> None:
                body = {
                    "name": f"bench {i}",
                    "geometry": {"type": "Polygon",
                                 "coordinates": [[list(c) for c in shape.exterior.coords]]},
                }  # fmt: skip
                async with sem:
                    r = await client.post("/api/geofences", json=body,
                                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                    if r.status_code != 201:
                        print(f"[bench] fence {i} refused: {r.text[:200]}")

            await asyncio.gather(*(create(i, s) for i, s in enumerate(shapes)))


def bench_env() -> dict[str, str]:
    return {
        "DATABASE_URL": BENCH_DATABASE_URL,
        "REDIS_URL": BENCH_REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "REDIS_CHANNEL_PREFIX": "bench-locations",
        "ENVIRONMENT": "test",
        "ACCESS_TOKEN_SECONDS": "3600",
        "LOCATION_MAX_AGE_S": "86400",
        "NFT_CHAIN_AUTOSTART": "false",
    }


def tokens(users: list[uuid.UUID]) -> list[str]:
    service = TokenService(
        settings=Settings(environment="test", access_token_seconds=3600),
        redis=None,  # type: ignore[arg-type]  # issuing needs no Redis
        session_factory=None,  # type: ignore[arg-type]
    )
    return [service.issue_user_token(user_id=u, session_id=uuid.uuid4())[0] for u in users]


WRK_POST = """
local tokens = {TOKENS}
local n = #tokens
local batch = BATCH
local lat0, lng0, side = LAT0, LNG0, SIDE
local state = {}
local i = 0
math.randomseed(42)
request = function()
  i = i + 1
  local p = (i % n) + 1
  local s = state[p]
  if s == nil then
    s = {x = (math.random() - 0.5) * side, y = (math.random() - 0.5) * side,
         h = math.random() * 6.283, t = START}
    state[p] = s
  end
  local parts = {}
  for k = 1, batch do
    s.h = s.h + (math.random() - 0.5) * 0.4
    s.x = s.x + 10 * math.cos(s.h)
    s.y = s.y + 10 * math.sin(s.h)
    s.t = s.t + 1
    parts[k] = string.format('{"lat":%.7f,"lng":%.7f,"accuracy_m":8,"timestamp":%d}',
      lat0 + s.y / 111195.0, lng0 + s.x / MLNG, s.t)
  end
  local body = '{"updates":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/locations",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[p]}, body)
end
"""


def run_wrk_post(base: str, toks: list[str], *, batch: int, side_m: float, seconds: int,
                 connections: int) -> Figure:  # fmt: skip
    wrk = ensure_wrk()
    m_lng = M_PER_DEG * math.cos(math.radians(MUNICH[0]))
    script = (
        WRK_POST.replace("TOKENS", ",".join(f'"{t}"' for t in toks))
        .replace("BATCH", str(batch))
        .replace("LAT0", f"{MUNICH[0]}")
        .replace("LNG0", f"{MUNICH[1]}")
        .replace("SIDE", f"{side_m / 4:.0f}")
        .replace("MLNG", f"{m_lng:.3f}")
        .replace("START", str(int(time.time()) - 80_000))
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    group = next((g for b, g in _SERVER_GROUPS.items() if base.startswith(b)), None)
    cpu_before = process_group_cpu_s(group) if group else float("nan")
    done = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name, base],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    out = done.stdout
    cpu = (process_group_cpu_s(group) if group else float("nan")) - cpu_before
    os.unlink(f.name)

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = _wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    note = f"{rps * batch:,.0f} updates/s"
    if errors:
        note += f" NON-2XX: {errors.group(1)}"
    cpu_rate = requests / cpu if cpu > 0 else float("nan")
    note += f"; {cpu_rate * batch:,.0f} updates per server CPU-second"
    return Figure(f"HTTP POST /api/locations, batches of {batch}", rps, p50, p99, note, cpu_rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fences", type=int, default=10_000)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--fences-per-point", type=float, default=0.5)
    parser.add_argument("--http-fences", type=int, default=2_000)
    parser.add_argument("--http-players", type=int, default=500)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    rng = np.random.default_rng(5)

    mean_area = 0.7 * math.pi * 112**2  # star polygons ~0.7 of their circle, radius ~U(25,200)
    side = area_side_m(args.fences, mean_area, args.fences_per_point)
    t0 = time.perf_counter()
    rows = cached_fence_rows(rng, args.fences, side)
    print(f"[bench] {args.fences:,} fences over {side / 1000:.1f} km x {side / 1000:.1f} km, "
          f"ready in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
    engine = GeofenceEngine()
    t0 = time.perf_counter()
    engine.load(rows)
    print(f"[bench] engine loaded in {time.perf_counter() - t0:.2f} s", flush=True)

    figures = []
    for batched in (False, True):
        walkers = Walkers(np.random.default_rng(9), args.players, side)
        figure, _, inside_x100 = transition_bench(
            engine, walkers, seconds=args.seconds, batched=batched
        )
        figures.append(figure)
    print(f"\n# Transition path: {args.fences:,} fences, {args.players:,} players, ~10 m per "
          f"update, {inside_x100 / 100:.2f} fences per player on average")  # fmt: skip
    print_table("Transition path (in process, 1 core)", figures)

    if not args.skip_http:
        http_side = area_side_m(args.http_fences, mean_area, args.fences_per_point)
        users = prepare_database(args.http_fences, args.http_players, http_side)
        Redis.from_url(BENCH_REDIS_URL).flushdb()
        toks = tokens(users)
        group: int | None = None
        try:
            with uvicorn_server("scripts.bench.app:create_bench_app", bench_env()) as base:
                group = _SERVER_GROUPS.get(base)
                empty = run_wrk("HTTP empty endpoint (baseline)", f"{base}/bench/empty",
                                connections=args.connections, seconds=args.seconds)  # fmt: skip
                post = run_wrk_post(base, toks, batch=args.batch, side_m=http_side,
                                    seconds=args.seconds, connections=args.connections)  # fmt: skip
        except subprocess.TimeoutExpired:
            # A loaded box can make the server's graceful stop outlast the helper's wait.
            print("[bench] server slow to stop; killing it", flush=True)
            if group is not None:
                os.killpg(group, signal.SIGKILL)
        with psycopg.connect(libpq(BENCH_DATABASE_URL)) as conn:
            n_events = conn.execute("SELECT count(*) FROM geofence_events").fetchone()
        print(f"\n# End to end: {args.http_fences:,} fences, {args.http_players} players, "
              f"batches of {args.batch}, {args.connections} connections")  # fmt: skip
        print_table("HTTP (uvicorn, 1 worker; wrk, 1 thread)", [empty, post], empty)
        print(f"updates/s end to end: {post.ops_per_s * args.batch:,.0f}; "
              f"geofence events logged: {n_events[0] if n_events else 0:,}")  # fmt: skip
    print(f"total benchmark time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
