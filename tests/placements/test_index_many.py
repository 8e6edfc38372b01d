"""`within_many` (a batch of small-radius queries) gives exactly `nearby`'s first pages."""

import random
from dataclasses import replace

import pytest

from app.placements.index import NearbyHits, PlacementIndex
from geo.geodesy import destination
from tests.placements.helpers import HOTSPOTS, edge_rows, random_rows, row_at


def _same(got: NearbyHits, expected: NearbyHits) -> None:
    assert got.hits == expected.hits
    assert got.has_more == expected.has_more
    assert got.distances_m.tolist() == [h.distance_m for h in got.hits]
    assert got.bearings_deg.tolist() == [h.bearing_deg for h in got.hits]


def _points(rng: random.Random, n: int, spread_m: float) -> tuple[list[float], list[float]]:
    lats, lngs = [], []
    for _ in range(n):
        lat0, lng0 = rng.choice(HOTSPOTS)
        p = destination(lat0, lng0, rng.uniform(0, 360), rng.uniform(0, spread_m))
        lats.append(p.lat)
        lngs.append(p.lng)
    return lats, lngs


@pytest.mark.parametrize("radius", [0.5, 150.0, 750.0])
def test_within_many_equals_nearby_per_point(radius: float) -> None:
    rng = random.Random(20261126)
    rows = random_rows(rng, 8000, spread_m=2000.0)
    for lat, lng in HOTSPOTS:
        rows += edge_rows(rng, lat, lng, radius, 40)
    index = PlacementIndex()
    index.load(rows)
    lats, lngs = _points(rng, 300, 2000.0)
    lats += [lat for lat, _ in HOTSPOTS]
    lngs += [lng for _, lng in HOTSPOTS]
    pages = index.within_many(lats, lngs, radius_m=radius, limit=200)
    found = 0
    for lat, lng, page in zip(lats, lngs, pages, strict=True):
        _same(page, index.nearby(lat, lng, radius_m=radius, limit=200))
        found += len(page.hits)
    assert found > 100  # the scenario really returned results


def test_overlay_dead_rows_ties_and_full_pages() -> None:
    rng = random.Random(5)
    munich = HOTSPOTS[0]
    rows = random_rows(rng, 3000, spread_m=600.0)
    # Co-located rows tie on distance: they must come back ordered by id.
    pile = [replace(row_at(rng, *munich), id=f"pile-{i:03d}") for i in range(30)]
    index = PlacementIndex(compact_threshold=10_000)
    index.load(rows + pile)
    # Writes after the load: moved rows (dead in the base, alive in the overlay), new rows
    # and withdrawn ones.
    moved = [replace(r, lat=r.lat + 0.0003) for r in rows[:200]]
    withdrawn = [replace(r, active=False) for r in rows[200:300]]
    index.apply([*moved, *withdrawn, *random_rows(rng, 300, spread_m=600.0)])
    lats, lngs = _points(rng, 200, 600.0)
    lats.append(munich[0])
    lngs.append(munich[1])
    for limit in (5, 200):
        pages = index.within_many(lats, lngs, radius_m=150.0, limit=limit)
        for lat, lng, page in zip(lats, lngs, pages, strict=True):
            _same(page, index.nearby(lat, lng, radius_m=150.0, limit=limit))
    pile_page = index.within_many([munich[0]], [munich[1]], radius_m=0.5, limit=200)[0]
    assert [h.id for h in pile_page.hits] == sorted(r.id for r in pile)
    assert index.within_many([munich[0]], [munich[1]], radius_m=150.0, limit=5)[0].has_more


def test_empty_batch_and_empty_index() -> None:
    assert PlacementIndex().within_many([48.0], [11.0], radius_m=150.0, limit=10)[0].hits == []
    assert PlacementIndex().within_many([], [], radius_m=150.0, limit=10) == []
