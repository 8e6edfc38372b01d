"""The in-memory nearby engine against a brute-force geodesic scan."""

import random
from dataclasses import replace

import pytest

from app.placements.index import PlacementIndex
from geo.geodesy import bearing_deg, destination
from geo.h3cells import cell_of
from geo.nearest import After
from tests.placements.helpers import HOTSPOTS, brute_force, edge_rows, random_rows


@pytest.fixture(scope="module")
def world() -> tuple[PlacementIndex, list]:
    rng = random.Random(20261125)
    rows = random_rows(rng, 6000)
    for lat, lng in HOTSPOTS:
        rows += edge_rows(rng, lat, lng, 750.0, 60)
    index = PlacementIndex()
    index.load(rows)
    return index, rows


def _query_points(rng: random.Random, n: int) -> list[tuple[float, float]]:
    points = list(HOTSPOTS)
    for _ in range(n):
        lat0, lng0 = rng.choice(HOTSPOTS)
        p = destination(lat0, lng0, rng.uniform(0, 360), rng.uniform(0, 2500))
        points.append((p.lat, p.lng))
    return points


def test_nearby_matches_brute_force(world: tuple[PlacementIndex, list]) -> None:
    index, rows = world
    rng = random.Random(7)
    checked = 0
    for lat, lng in _query_points(rng, 120):
        radius = rng.choice([1.0, 25.0, 120.0, 750.0, 2500.0, 6000.0])
        limit = rng.choice([1, 5, 50, 200])
        kinds = rng.choice([None, frozenset({"nft"}), frozenset({"space", "portal"})])
        expected = brute_force(rows, lat, lng, radius, kinds)
        got = index.nearby(lat, lng, radius_m=radius, limit=limit, kinds=kinds)
        assert [h.id for h in got.hits] == [pid for _, pid in expected[:limit]]
        for hit, (distance, _) in zip(got.hits, expected, strict=False):
            assert hit.distance_m == pytest.approx(distance, abs=1e-6)
            assert hit.bearing_deg == pytest.approx(
                bearing_deg(lat, lng, hit.lat, hit.lng), abs=1e-6
            )
            assert 0 <= hit.bearing_deg < 360
        assert got.has_more == (len(expected) > limit)
        checked += len(got.hits)
    assert checked > 1000  # the scenario really returned results


def test_edge_of_radius_is_inclusive_and_exact(world: tuple[PlacementIndex, list]) -> None:
    index, rows = world
    for lat, lng in HOTSPOTS:
        expected = brute_force(rows, lat, lng, 750.0)
        got = index.nearby(lat, lng, radius_m=750.0, limit=200)
        # The edge points straddle 750 m by a millimetre: the set must be exactly right.
        assert [h.id for h in got.hits] == [pid for _, pid in expected[:200]]


def test_pages_walk_the_whole_result_in_order(world: tuple[PlacementIndex, list]) -> None:
    index, rows = world
    lat, lng = HOTSPOTS[0]
    expected = brute_force(rows, lat, lng, 2000.0)
    assert len(expected) > 100
    seen: list[str] = []
    after = None
    while True:
        page = index.nearby(lat, lng, radius_m=2000.0, limit=37, after=after)
        seen += [h.id for h in page.hits]
        if not page.has_more:
            break
        last = page.hits[-1]
        after = After(last.distance_m, last.id)
    assert seen == [pid for _, pid in expected]


def test_writes_and_withdrawals_show_up(world: tuple[PlacementIndex, list]) -> None:
    rng = random.Random(3)
    rows = random_rows(rng, 500)
    index = PlacementIndex(compact_threshold=50)
    index.load(rows)
    lat, lng = HOTSPOTS[0]
    # Withdraw a third, move a third, add new ones: enough writes to force compactions.
    changed = [replace(r, active=False) for r in rows[::3]]
    moved = []
    for r in rows[1::3]:
        p = destination(lat, lng, rng.uniform(0, 360), rng.uniform(0, 900))
        moved.append(replace(r, lat=p.lat, lng=p.lng, h3_cell=cell_of(p.lat, p.lng)))
    added = random_rows(rng, 200)
    index.apply(changed)
    index.apply(moved)
    index.apply(added)
    current = {r.id: r for r in rows}
    for r in [*changed, *moved, *added]:
        current[r.id] = r
    truth = list(current.values())
    assert len(index) == sum(1 for r in truth if r.active)
    for qlat, qlng in HOTSPOTS:
        expected = brute_force(truth, qlat, qlng, 3000.0)
        got = index.nearby(qlat, qlng, radius_m=3000.0, limit=200)
        assert [h.id for h in got.hits] == [pid for _, pid in expected[:200]]
