"""The k-d tree search's harder paths against a brute-force geodesic scan: k growing (dead
rows in the way, deep pages, rare kinds, piles of identical points), the overlay's own trees,
sparse data, and radii so large the chord is nearly a diameter."""

import random
from dataclasses import replace
from typing import Any

import pytest

from app.placements import index as index_module
from app.placements.index import PlacementIndex
from app.placements.queries import PlacementRow
from geo.geodesy import destination
from geo.nearest import After
from tests.placements.helpers import HOTSPOTS, brute_force, random_rows, row_at

MUNICH = HOTSPOTS[0]


def _ids(index: PlacementIndex, lat: float, lng: float, **kwargs: object) -> list[str]:
    return [h.id for h in index.nearby(lat, lng, **kwargs).hits]  # type: ignore[arg-type]


def _walk(index: PlacementIndex, lat: float, lng: float, radius: float, limit: int,
          kinds: frozenset[str] | None = None) -> list[str]:  # fmt: skip
    seen: list[str] = []
    after = None
    while True:
        page = index.nearby(lat, lng, radius_m=radius, limit=limit, kinds=kinds, after=after)
        seen += [h.id for h in page.hits]
        if not page.has_more:
            return seen
        after = After(page.hits[-1].distance_m, page.hits[-1].id)


def test_identical_points_page_by_id() -> None:
    rng = random.Random(11)
    pile = [replace(row_at(rng, *MUNICH), id=f"{i:04d}") for i in range(300)]
    rows = pile + random_rows(rng, 2000, spread_m=400.0)
    index = PlacementIndex()
    index.load(rows)
    expected = [pid for _, pid in brute_force(rows, *MUNICH, 50.0)]
    assert expected[:300] == sorted(r.id for r in pile)
    assert _walk(index, *MUNICH, 50.0, 23) == expected


def test_dead_rows_near_the_query_make_k_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    gather = index_module._gather

    def spy(*args: Any) -> Any:
        asked.append(args[3])  # k
        return gather(*args)

    monkeypatch.setattr(index_module, "_gather", spy)
    rng = random.Random(12)
    rows = random_rows(rng, 3000, spread_m=800.0)
    index = PlacementIndex(compact_threshold=10_000)  # keep the dead rows in the base
    index.load(rows)
    nearest = brute_force(rows, *MUNICH, 10_000.0)
    gone = {pid for _, pid in nearest[:400]}
    withdrawn = [replace(r, active=False) for r in rows if r.id in gone]
    index.apply(withdrawn)
    truth = [r for r in rows if r.id not in gone]
    for limit in (1, 20, 200):
        expected = [pid for _, pid in brute_force(truth, *MUNICH, 800.0)]
        assert _ids(index, *MUNICH, radius_m=800.0, limit=limit) == expected[:limit]
    assert max(asked) > 4 * min(asked)  # the search really had to widen


def test_overlay_rows_are_searched_with_kinds_and_pages() -> None:
    rng = random.Random(13)
    rows = random_rows(rng, 3000, spread_m=1500.0)
    index = PlacementIndex(compact_threshold=10_000)
    index.load(rows)
    moved = []
    for r in rows[:600]:  # into the overlay, right next to the query point
        p = destination(*MUNICH, rng.uniform(0, 360), rng.uniform(0, 60))
        moved.append(replace(r, lat=p.lat, lng=p.lng))
    added = [row_at(rng, *MUNICH) for _ in range(5)]
    index.apply([*moved, *added])
    truth = {r.id: r for r in rows}
    truth.update({r.id: r for r in [*moved, *added]})
    everything = list(truth.values())
    for kinds in (None, frozenset({"portal"}), frozenset({"nft", "marker"})):
        expected = [pid for _, pid in brute_force(everything, *MUNICH, 1000.0, kinds)]
        assert _walk(index, *MUNICH, 1000.0, 45, kinds) == expected


def test_rare_kind_among_many() -> None:
    rng = random.Random(14)
    rows = [replace(r, kind="nft") for r in random_rows(rng, 4000, spread_m=600.0)]
    rare = [replace(r, kind="space") for r in random_rows(rng, 7, spread_m=600.0)]
    index = PlacementIndex()
    index.load(rows + rare)
    kinds = frozenset({"space"})
    expected = [pid for _, pid in brute_force(rows + rare, *MUNICH, 600.0, kinds)]
    assert _ids(index, *MUNICH, radius_m=600.0, limit=50, kinds=kinds) == expected
    assert _ids(index, *MUNICH, radius_m=600.0, limit=5, kinds=frozenset({"portal"})) == []


@pytest.mark.parametrize("count", [0, 1, 3, 40])
def test_sparse_and_empty_indexes(count: int) -> None:
    rng = random.Random(15)
    rows = random_rows(rng, count, spread_m=2000.0)
    index = PlacementIndex()
    index.load(rows)
    for lat, lng in HOTSPOTS:
        expected = brute_force(rows, lat, lng, 2000.0)
        got = index.nearby(lat, lng, radius_m=2000.0, limit=20)
        assert [h.id for h in got.hits] == [pid for _, pid in expected[:20]]
        assert got.has_more == (len(expected) > 20)


def test_radius_spanning_most_of_the_globe() -> None:
    # A ball chord close to the diameter: spherical distances come from lat/lng, not arcsin.
    rng = random.Random(16)
    rows: list[PlacementRow] = random_rows(rng, 500, spread_m=5000.0)
    index = PlacementIndex()
    index.load(rows)
    for lat, lng in [MUNICH, (-48.1371, -168.4246)]:  # the second is Munich's antipode
        expected = [pid for _, pid in brute_force(rows, lat, lng, 19_900_000.0)]
        assert _ids(index, lat, lng, radius_m=19_900_000.0, limit=200) == expected[:200]


def test_degenerate_radii_terminate() -> None:
    rng = random.Random(17)
    rows = [replace(row_at(rng, *MUNICH), id=f"{i:03d}") for i in range(100)]
    index = PlacementIndex()
    index.load(rows)
    assert index.nearby(*MUNICH, radius_m=-1.0, limit=5).hits == []
    # A pile of identical points inside a 1 mm radius: the bound alone never proves
    # anything (it is below zero), so k must grow until the tree is exhausted.
    got = index.nearby(*MUNICH, radius_m=0.001, limit=5)
    assert [h.id for h in got.hits] == ["000", "001", "002", "003", "004"]
    assert got.has_more


def test_whole_ball_path_matches_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    # Large k switches from k-nearest queries to taking every point in the ball; a low
    # threshold sends deep pages, dead rows and the overlay down that path.
    monkeypatch.setattr(index_module, "_WHOLE_BALL_K", 50)
    rng = random.Random(18)
    rows = random_rows(rng, 3000, spread_m=700.0)
    index = PlacementIndex(compact_threshold=10_000)
    index.load(rows)
    withdrawn = [replace(r, active=False) for r in rows[:200]]
    added = [row_at(rng, *MUNICH) for _ in range(30)]
    index.apply([*withdrawn, *added])
    truth = [*rows[200:], *added]
    for kinds in (None, frozenset({"space"})):
        expected = [pid for _, pid in brute_force(truth, *MUNICH, 700.0, kinds)]
        assert len(expected) > 100
        assert _walk(index, *MUNICH, 700.0, 37, kinds) == expected
