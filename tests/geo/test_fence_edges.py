"""Per-row edge tests (geo.fence_edges): every pair they decide agrees with shapely's `covers`,
and the pairs they cannot decide (boundary, near-degenerate, invalid shapes) are left to GEOS."""

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo.fence_edges import INSIDE, OUTSIDE, UNSURE, EdgeStore
from geo.fence_raster import GRID, box_of, grid_steps
from tests.geo.fence_shapes import points_near_edges, random_fence

Geom = Polygon | MultiPolygon


def verdicts(
    geoms: list[Geom], fence: np.ndarray, pts: np.ndarray, store: EdgeStore | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(verdict per point against geoms[fence[k]], shapely's covers per point)."""
    arr = np.asarray(geoms, dtype=object)
    bounds = shapely.bounds(arr)
    box, ok = box_of(pts[:, 0], pts[:, 1], bounds[fence, 0:2], grid_steps(bounds)[fence])
    if store is None:
        store = EdgeStore()
        store.resize(len(geoms))
    got = store.decide(fence, np.where(ok, box, -1), pts[:, 0], pts[:, 1], arr, bounds)
    truth = shapely.covers(arr[fence], shapely.points(pts))
    return got, truth


def assert_agrees(got: np.ndarray, truth: np.ndarray) -> None:
    sure = got != UNSURE
    assert ((got == INSIDE) == truth)[sure].all()


def tricky_points(rng: np.random.Generator, geom: Geom, count: int) -> np.ndarray:
    """Uniform, on raster grid lines, near and on edges and vertices, and on the x or y of a
    vertex (where the crossing rule's half-open ends matter)."""
    x0, y0, x1, y1 = geom.bounds
    dx, dy = (x1 - x0) / GRID, (y1 - y0) / GRID
    i, j = rng.integers(0, GRID + 1, count), rng.integers(0, GRID + 1, count)
    vx = shapely.get_coordinates(geom)
    pick = rng.integers(0, len(vx), (2, count))
    return np.vstack(
        [
            np.column_stack([rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)]),
            np.column_stack([x0 + i * dx, y0 + j * dy]),
            points_near_edges(rng, geom, count),
            np.column_stack([rng.uniform(x0, x1, count), vx[pick[0], 1]]),
            np.column_stack([vx[pick[1], 0], rng.uniform(y0, y1, count)]),
        ]
    )


def pairs(rng: np.random.Generator, geoms: list[Geom], count: int) -> tuple[np.ndarray, np.ndarray]:
    chunks = [tricky_points(rng, g, count) for g in geoms]
    fence = np.repeat(np.arange(len(geoms)), [len(c) for c in chunks])
    return np.vstack(chunks), fence


def test_random_fences_match_shapely(rng: np.random.Generator) -> None:
    """Stars, circles, polygons with holes, MultiPolygons."""
    geoms = [
        random_fence(rng, 48.1 + rng.uniform(0, 0.2), 11.5 + rng.uniform(0, 0.2))
        for _ in range(150)
    ]
    pts, fence = pairs(rng, geoms, 150)
    got, truth = verdicts(geoms, fence, pts)
    assert_agrees(got, truth)
    # Undecided pairs are (nearly) all boundary points: the rest are decided here.
    on_boundary = shapely.touches(np.asarray(geoms, dtype=object)[fence], shapely.points(pts))
    assert (got[~on_boundary] != UNSURE).mean() > 0.98
    assert {INSIDE, OUTSIDE} <= set(got.tolist())


def test_boundary_points_are_never_decided(rng: np.random.Generator) -> None:
    """Vertices and points on edges: covered, and left to GEOS (which says so)."""
    geoms = [random_fence(rng, 48.1, 11.5) for _ in range(40)]
    chunks, owners = [], []
    for f, g in enumerate(geoms):
        vertices = shapely.get_coordinates(g)
        chunks.append(vertices)
        owners.append(np.full(len(vertices), f))
    pts, fence = np.vstack(chunks), np.concatenate(owners)
    got, truth = verdicts(geoms, fence, pts)
    assert truth.all()
    assert (got == UNSURE).all()


def test_horizontal_and_vertical_edges() -> None:
    """An L shape: horizontal edges, vertices sharing y, points on and beside them."""
    shape = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    xs = np.linspace(-0.5, 2.5, 61)
    ys = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 1e-300, 1.0 - 1e-16, 1.0 + 2e-16])
    pts = np.array([(x, y) for x in xs for y in ys])
    inside_box = (pts[:, 0] >= 0) & (pts[:, 0] <= 2) & (pts[:, 1] >= 0) & (pts[:, 1] <= 2)
    pts = pts[inside_box]
    got, truth = verdicts([shape], np.zeros(len(pts), np.int64), pts)
    assert_agrees(got, truth)
    on_boundary = shapely.touches(shape, shapely.points(pts))
    assert (got[on_boundary] == UNSURE).all()
    assert (got[~on_boundary] != UNSURE).all()


def test_holes_and_multipolygons() -> None:
    outer = [(0, 0), (10, 0), (10, 10), (0, 10)]
    hole = [(3, 3), (3, 7), (7, 7), (7, 3)]
    ring = Polygon(outer, [hole])
    parts = MultiPolygon([Polygon(outer), Polygon([(12, 0), (14, 0), (14, 2), (12, 2)])])
    pts = np.array([[5.0, 5.0], [1.0, 5.0], [3.0, 5.0], [7.0, 7.0], [2.9, 5.0], [3.1, 5.0]])
    got, truth = verdicts([ring] * len(pts), np.arange(len(pts)), pts)
    assert truth.tolist() == [False, True, True, True, True, False]
    assert got.tolist() == [OUTSIDE, INSIDE, UNSURE, UNSURE, INSIDE, OUTSIDE]
    pts = np.array([[13.0, 1.0], [11.0, 1.0], [5.0, 5.0], [12.0, 1.0]])
    got, truth = verdicts([parts] * len(pts), np.arange(len(pts)), pts)
    assert truth.tolist() == [True, False, True, True]
    assert got.tolist() == [INSIDE, OUTSIDE, INSIDE, UNSURE]


def test_near_degenerate_shapes(rng: np.random.Generator) -> None:
    """A sliver a few ulps wide, nearly collinear vertices, and tiny fences far from (0, 0):
    float orientation signs are unreliable there, so doubtful pairs must go to GEOS."""
    sliver = Polygon([(11.5, 48.1), (11.6, 48.2), (11.6 + 1e-13, 48.2), (11.5 + 1e-13, 48.1)])
    collinear = Polygon(
        [(11.5, 48.1), (11.55, 48.15 + 1e-15), (11.6, 48.2), (11.6, 48.1), (11.55, 48.1)]
    )
    tiny = [
        Polygon(
            [
                (lng, lat),
                (lng + 5e-6, lat + 1.5e-6),
                (lng + 3e-6, lat + 5e-6),
                (lng - 1e-6, lat + 3.5e-6),
            ]
        )
        for lng, lat in ((179.9999, 85.0), (-179.99, -60.0))
    ]
    geoms: list[Geom] = [sliver, collinear, *tiny]
    pts, fence = pairs(rng, geoms, 2000)
    # Points a few ulps off the sliver's and the collinear chain's edges.
    t = rng.uniform(0, 1, 2000)
    line = np.column_stack([11.5 + 0.1 * t, 48.1 + 0.1 * t])
    wiggle = rng.integers(-4, 5, (2000, 1)) * np.spacing(11.5)
    extra = np.vstack([line + wiggle * [1, 0], line + wiggle * [0, 1]])
    pts = np.vstack([pts, extra, extra])
    fence = np.concatenate([fence, np.zeros(4000, np.int64), np.ones(4000, np.int64)])
    got, truth = verdicts(geoms, fence, pts)
    assert_agrees(got, truth)


def test_invalid_shapes_are_left_to_geos() -> None:
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    pts = np.array([[0.2, 0.5], [0.5, 0.2], [0.9, 0.5]])
    got, _ = verdicts([bowtie] * 3, np.arange(3), pts)
    assert (got == UNSURE).all()


def test_unknown_rows_and_rebuilt_slots(rng: np.random.Generator) -> None:
    """Box -1 (not verifiably in a box) is undecided; clear() makes edges again on demand."""
    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    star = random_fence(rng, 48.1, 11.5)
    store = EdgeStore()
    store.resize(1)
    arr = np.array([square], dtype=object)
    got = store.decide(
        np.zeros(2, np.int64),
        np.array([-1, 32 * GRID + 32]),
        np.array([0.5, 0.5]),
        np.array([0.5, 0.5]),
        arr,
        shapely.bounds(arr),
    )
    assert got.tolist() == [UNSURE, INSIDE]
    # The slot now holds another shape: after clear() its edges are the new shape's.
    store.clear()
    pts = tricky_points(rng, star, 200)
    got, truth = verdicts([star], np.zeros(len(pts), np.int64), pts, store)
    assert_agrees(got, truth)
    assert (got != UNSURE).mean() > 0.5


def test_budget_leaves_further_fences_to_geos(rng: np.random.Generator) -> None:
    geoms = [random_fence(rng, 48.1, 11.5 + 0.1 * k) for k in range(4)]
    pts, fence = pairs(rng, geoms, 100)
    got, _ = verdicts(geoms, fence, pts, _sized(EdgeStore(budget_bytes=0), 4))
    assert (got == UNSURE).all()
    # Room for one pass: the first two fences get edge lists, the later two stay with GEOS.
    store = _sized(EdgeStore(budget_bytes=1), 4)
    first = fence < 2
    got, truth = verdicts(geoms, fence[first], pts[first], store)
    assert_agrees(got, truth)
    assert store.used_bytes() > 0
    assert (got != UNSURE).mean() > 0.5
    got, truth = verdicts(geoms, fence, pts, store)
    assert_agrees(got, truth)
    assert (got[~first] == UNSURE).all()
    assert (got[first] != UNSURE).mean() > 0.5


def _sized(store: EdgeStore, n: int) -> EdgeStore:
    store.resize(n)
    return store
