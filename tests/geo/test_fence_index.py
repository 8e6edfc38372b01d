"""The fence index against brute force: exact coverage, margins, updates, time windows."""

import math

import h3.api.basic_int as h3
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo import fence_index
from geo.fence_cover import (
    MAX_REFINED_BOUNDARY_CELLS,
    MAX_REFINED_CELLS,
    cells_from_bytes,
    cells_to_bytes,
    expand_interior,
    expanded_size,
    fence_cover,
    fence_resolution,
)
from geo.fence_index import BORDER, INSIDE, FenceIndex, FenceShape, metres_per_degree
from geo.polygons import circle_polygon
from tests.geo.fence_shapes import points_near_edges, random_fence, star_polygon


def shape_of(geom: Polygon | MultiPolygon, **window: float) -> FenceShape:
    cover = fence_cover(geom)
    interior = cells_from_bytes(cells_to_bytes(cover.interior))
    return FenceShape(
        geom=geom,
        res=cover.res,
        interior=expand_interior(interior, cover.res),
        boundary=np.asarray(cover.boundary, dtype=np.uint64),
        **window,
    )


@pytest.fixture(scope="module")
def fences() -> list[Polygon | MultiPolygon]:
    rng = np.random.default_rng(5)
    return [
        random_fence(rng, 48.1 + rng.uniform(0, 0.2), 11.5 + rng.uniform(0, 0.2))
        for _ in range(150)
    ]


def brute(fences: list[Polygon | MultiPolygon], pts: np.ndarray) -> set[tuple[int, int]]:
    tree = shapely.STRtree(fences)
    p, f = tree.query(shapely.points(pts), predicate="covered_by")
    return set(zip(p.tolist(), f.tolist(), strict=True))


def test_covering_matches_shapely_covers_near_edges(
    fences: list[Polygon | MultiPolygon], rng: np.random.Generator
) -> None:
    index: FenceIndex[int] = FenceIndex()
    index.load((i, shape_of(g)) for i, g in enumerate(fences))
    pts = np.vstack(
        [points_near_edges(rng, g, 60) for g in fences]
        + [np.column_stack([rng.uniform(11.48, 11.72, 5000), rng.uniform(48.08, 48.32, 5000)])]
    )
    p, s = index.covering(pts[:, 1], pts[:, 0])
    got = {(pi, index.key_of(si)) for pi, si in zip(p.tolist(), s.tolist(), strict=True)}
    assert got == brute(fences, pts)
    assert len(got) > 5000  # dense enough to mean something
    one_by_one = {
        (i, index.key_of(s))
        for i, (lng, lat) in enumerate(pts[:3000].tolist())
        for s in index.covering_one(lat, lng)
    }
    assert one_by_one == {(i, f) for i, f in got if i < 3000}


def test_warm_makes_every_live_raster_and_changes_no_answer(
    fences: list[Polygon | MultiPolygon], rng: np.random.Generator
) -> None:
    index: FenceIndex[int] = FenceIndex()
    index.load((i, shape_of(g)) for i, g in enumerate(fences))
    index.remove([0, 1])
    pts = np.vstack([points_near_edges(rng, g, 20) for g in fences[:40]])
    before = index.covering(pts[:, 1], pts[:, 0])
    made = []
    while step := index.warm(16):
        made.append(step)
    # The lookup made the rasters of the fences it tested; warm makes the rest, once.
    assert 0 < sum(made) < len(index)
    assert max(made) <= 16
    assert index.warm(16) == 0
    rasters, _ = index.lazy_nbytes()
    assert len(index) * 1024 <= rasters < (len(index) + 2) * 1024 + 4096
    after = index.covering(pts[:, 1], pts[:, 0])
    assert sorted(zip(*before, strict=True)) == sorted(zip(*after, strict=True))


def test_resolution_ladder_and_cover_bytes() -> None:
    geom = random_fence(np.random.default_rng(1), 10.0, 10.0)
    assert fence_resolution(geom) % 2 == 1
    cells = fence_cover(geom).boundary
    assert cells_from_bytes(cells_to_bytes(cells)).tolist() == cells


def test_fence_cover_refines_spiky_outlines_while_the_cover_stays_small() -> None:
    # 200 spikes: the outline is ~10x the circumference, so its length says "coarse".
    star = star_polygon(np.random.default_rng(3), 48.1, 11.5, 2000.0, 200)
    cover = fence_cover(star)
    assert cover.res > fence_resolution(star)
    assert len(cover.boundary) <= MAX_REFINED_BOUNDARY_CELLS
    assert len(cover.boundary) + expanded_size(cover.interior, cover.res) <= MAX_REFINED_CELLS
    # A smooth fence is already at the finest step whose interior stays small.
    circle = circle_polygon(48.1, 11.5, 1000.0, segments=128)
    assert fence_cover(circle).res == fence_resolution(circle)


def local_distance(geom: Polygon | MultiPolygon, lng: float, lat: float) -> float:
    east, north = metres_per_degree(np.array([lat]))
    scaled = shapely.transform(
        geom.boundary, lambda c: (c - [lng, lat]) * [float(east[0]), float(north[0])]
    )
    return float(shapely.distance(scaled, shapely.Point(0, 0)))


def test_classify_matches_brute_force(
    fences: list[Polygon | MultiPolygon], rng: np.random.Generator
) -> None:
    index: FenceIndex[int] = FenceIndex()
    index.load((i, shape_of(g)) for i, g in enumerate(fences))
    pts = np.vstack([points_near_edges(rng, g, 15) for g in fences[:60]])
    # Push points up to ~40 m off the edges, so margins matter on both sides.
    pts = pts + rng.normal(0, 0.0003, pts.shape)
    margins = rng.choice([0.0, 5.0, 25.0], len(pts))
    includes = [[int(rng.integers(0, len(fences))), i % 60] for i in range(len(pts))]
    pairs = index.classify(pts[:, 1], pts[:, 0], margins, includes)
    got = {
        (p, index.key_of(s), st)
        for p, s, st in zip(
            pairs.point.tolist(), pairs.slot.tolist(), pairs.state.tolist(), strict=True
        )
    }
    expected = set()
    covered = brute(fences, pts)
    for p, (lng, lat) in enumerate(pts.tolist()):
        candidates = {f for (q, f) in covered if q == p} | set(includes[p])
        for f in candidates:
            d = local_distance(fences[f], lng, lat)
            if d <= margins[p]:
                expected.add((p, f, BORDER))
            elif (p, f) in covered:
                expected.add((p, f, INSIDE))
    assert got == expected
    assert {st for *_, st in got} == {INSIDE, BORDER}
    one_by_one = {
        (p, index.key_of(s), st)
        for p, (lng, lat) in enumerate(pts.tolist())
        for s, st in index.classify_one(lat, lng, float(margins[p]), includes[p])
    }
    assert one_by_one == expected


def test_signed_distance_and_metric() -> None:
    square = Polygon([(0, 0), (0.01, 0), (0.01, 0.01), (0, 0.01)])
    index: FenceIndex[str] = FenceIndex()
    index.load([("sq", shape_of(square))])
    east, _north = metres_per_degree(np.array([0.0]))
    # At the equator a degree of longitude is the equatorial radius times pi/180.
    assert east[0] == pytest.approx(6378137.0 * math.pi / 180)
    east, _ = metres_per_degree(np.array([0.005]))
    inside = index.signed_distance_m("sq", 0.005, 0.001)
    assert inside == pytest.approx(-0.001 * east[0], rel=1e-12)
    outside = index.signed_distance_m("sq", 0.005, -0.002)
    assert outside == pytest.approx(0.002 * east[0], rel=1e-12)
    assert index.signed_distance_m("nope", 0, 0) is None


def test_updates_overlay_rebuild_and_windows(fences: list[Polygon | MultiPolygon]) -> None:
    shapes = [shape_of(g) for g in fences[:50]]
    index: FenceIndex[int] = FenceIndex()
    index.load(enumerate(shapes))
    centre = fences[0].representative_point()
    lat, lng = centre.y, centre.x

    def keys(at: float | None = None) -> set[int]:
        _p, s = index.covering([lat], [lng], at=at)
        return {index.key_of(x) for x in s.tolist()}

    assert 0 in keys()
    index.remove([0])
    assert 0 not in keys()
    index.upsert([(1000, shape_of(fences[0], active_from=100.0, active_until=200.0))])
    assert 1000 in keys()
    assert 1000 in keys(at=150.0)
    assert 1000 not in keys(at=99.0)
    assert 1000 not in keys(at=200.0)
    # Moving a fence: the old shape no longer answers.
    far = fences[100]
    index.upsert([(1000, shape_of(far))])
    assert 1000 not in keys()
    before = len(index)
    # Enough upserts to force a full re-sort; answers stay the same.
    index.upsert((5000 + i, shapes[i % 50]) for i in range(2100))
    assert len(index) == before + 2100
    assert 5000 in keys()
    assert 1000 not in keys()
    assert 0 not in keys()


def test_rasters_follow_slots_through_updates_and_rebuilds(
    fences: list[Polygon | MultiPolygon], rng: np.random.Generator
) -> None:
    """Rasters and edge lists are made lazily and kept per slot; removals, overlays and the
    compaction of a full re-sort must never pair a slot with another fence's raster or edges."""
    index: FenceIndex[int] = FenceIndex()
    index.load((i, shape_of(g)) for i, g in enumerate(fences[:60]))
    pts = np.vstack([points_near_edges(rng, g, 40) for g in fences[:120]])

    def check(live: dict[int, Polygon | MultiPolygon]) -> None:
        p, s = index.covering(pts[:, 1], pts[:, 0])
        got = {(pi, index.key_of(si)) for pi, si in zip(p.tolist(), s.tolist(), strict=True)}
        keys = list(live)
        expected = {(pi, keys[f]) for pi, f in brute([live[k] for k in keys], pts)}
        assert got == expected

    live: dict[int, Polygon | MultiPolygon] = dict(enumerate(fences[:60]))
    check(live)  # builds rasters for the first 60 slots
    index.remove(range(0, 60, 2))
    for k in range(0, 60, 2):
        del live[k]
    index.upsert((100 + i, shape_of(fences[60 + i])) for i in range(30))
    live.update({100 + i: fences[60 + i] for i in range(30)})
    check(live)
    # Enough upserts to force a full re-sort that compacts the slots.
    reused = [shape_of(g) for g in fences[90:120]]
    index.upsert((1000 + i, reused[i % 30]) for i in range(2100))
    live.update({1000 + i: fences[90 + i % 30] for i in range(2100)})
    check(live)


def test_direct_h3_call_matches_the_public_api(rng: np.random.Generator) -> None:
    """The index calls H3's compiled latlng_to_cell directly (no wrapper)."""
    lats = rng.uniform(-89.9, 89.9, 2000).tolist()
    lngs = rng.uniform(-180.0, 180.0, 2000).tolist()
    for res in range(16):
        direct = [fence_index._latlng_to_cell(a, b, res) for a, b in zip(lats, lngs, strict=True)]
        public = [h3.latlng_to_cell(a, b, res) for a, b in zip(lats, lngs, strict=True)]
        assert direct == public


def test_keys_csr_groups_the_pairs_by_point(
    fences: list[Polygon | MultiPolygon], rng: np.random.Generator
) -> None:
    index: FenceIndex[int] = FenceIndex()
    index.load((i, shape_of(g)) for i, g in enumerate(fences))
    pts = np.column_stack([rng.uniform(11.48, 11.72, 3000), rng.uniform(48.08, 48.32, 3000)])
    p, s = index.covering(pts[:, 1], pts[:, 0])
    offsets, keys = index.keys_csr(p, s, len(pts))
    assert offsets[0] == 0
    assert offsets[-1] == len(keys) == len(p)
    lists = index.keys_by_point(p, s, len(pts))
    for i, found in enumerate(lists):
        assert sorted(keys[offsets[i] : offsets[i + 1]].tolist()) == sorted(found)
    assert {(i, k) for i, found in enumerate(lists) for k in found} == brute(fences, pts)
    assert sum(map(len, lists)) > 1000
