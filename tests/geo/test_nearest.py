"""`select_nearest` is exactly a sort of geodesic distances, whatever the candidates look like:
ties (identical points), points on the edge of the radius, keyset pages, given spherical
distances. Checked against a brute-force scan."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.chord import spherical_m_for_chords, unit_vector, unit_vectors
from geo.geodesy import destination, distances_and_bearings
from geo.nearest import After, select_nearest
from tests.geo.strategies import awkward_points, log_uniform

Scene = tuple[float, float, float, np.ndarray, np.ndarray, list[str]]


@st.composite
def scenes(draw: st.DrawFn) -> Scene:
    lat, lng = draw(awkward_points)
    radius = draw(log_uniform(0.5, 50_000.0))
    n = draw(st.integers(0, 60))
    lats, lngs = [], []
    for _ in range(n):
        # Inside, on the edge (to the mm) and outside the circle.
        reach = draw(st.sampled_from([0.0, 0.3, 0.9, 0.999999, 1.0, 1.000001, 1.2]))
        p = destination(lat, lng, draw(st.floats(0, 360)), radius * reach)
        lats.append(p.lat)
        lngs.append(p.lng)
    # Identical copies of some points: their order is decided by key alone.
    copies = draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=10)) if n else []
    lats += [lats[i] for i in copies]
    lngs += [lngs[i] for i in copies]
    keys = [f"k{i:03d}" for i in draw(st.permutations(range(len(lats))))]
    return lat, lng, radius, np.array(lats), np.array(lngs), keys


def _brute(
    lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray, keys: list[str], radius: float
) -> list[tuple[float, str, int]]:
    if not len(lats):
        return []
    distances, _ = distances_and_bearings(lat, lng, lats, lngs)
    return sorted((float(d), keys[i], i) for i, d in enumerate(distances.tolist()) if d <= radius)


@settings(deadline=None, max_examples=400)
@given(scenes(), st.integers(1, 25), st.data())
def test_pages_match_brute_force(scene: Scene, limit: int, data: st.DataObject) -> None:
    lat, lng, radius, lats, lngs, keys = scene
    expected = _brute(lat, lng, lats, lngs, keys, radius)
    after = None
    use_cursor: bool = data.draw(st.booleans())
    if expected and use_cursor:
        d, key, _ = expected[data.draw(st.integers(0, len(expected) - 1))]
        after = After(d, key)
    remaining = [
        e for e in expected if after is None or (e[0], e[1]) > (after.distance_m, after.key)
    ]

    chords = np.linalg.norm(unit_vectors(lats, lngs) - np.array(unit_vector(lat, lng)), axis=1)
    for spherical in (None, spherical_m_for_chords(chords)):
        got = select_nearest(
            lat,
            lng,
            lats,
            lngs,
            keys.__getitem__,
            radius_m=radius,
            limit=limit,
            after=after,
            spherical_m=spherical,
        )
        assert got.positions.tolist() == [i for _, _, i in remaining[:limit]]
        assert got.distances_m.tolist() == [d for d, _, _ in remaining[:limit]]
        assert got.has_more == (len(remaining) > limit)
        assert ((got.bearings_deg >= 0) & (got.bearings_deg < 360)).all()


def test_keys_are_asked_only_to_break_ties() -> None:
    lat, lng = 48.1371, 11.5754
    points = [destination(lat, lng, b, 10.0 * (i + 1)) for i, b in enumerate(range(0, 300, 30))]
    lats = np.array([p.lat for p in points] + [points[0].lat])
    lngs = np.array([p.lng for p in points] + [points[0].lng])
    asked: list[int] = []

    def key_of(i: int) -> str:
        asked.append(i)
        return f"k{i}"

    got = select_nearest(lat, lng, lats, lngs, key_of, radius_m=1000.0, limit=5)
    assert got.positions.tolist() == [0, 10, 1, 2, 3]
    assert sorted(asked) == [0, 10]  # the only tie: a point and its copy
