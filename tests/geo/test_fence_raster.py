"""Fence rasters: every box they decide (IN / OUT) agrees with shapely's `covers`."""

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo.fence_raster import GRID, IN, MIXED, OUT, box_of, grid_steps, rasterise, state_at
from geo.polygons import circle_polygon
from tests.geo.fence_shapes import points_near_edges, random_fence


def decide(
    geoms: list[Polygon | MultiPolygon], fence: np.ndarray, pts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(state per point from fence[k]'s raster, whether the raster decided it)."""
    arr = np.asarray(geoms, dtype=object)
    bounds = shapely.bounds(arr)
    packed = rasterise(arr, bounds)
    box, ok = box_of(pts[:, 0], pts[:, 1], bounds[fence, 0:2], grid_steps(bounds)[fence])
    state = state_at(packed, fence, box)
    return state, ok & (state != MIXED)


def decide_checked(
    geoms: list[Polygon | MultiPolygon], fence: np.ndarray, pts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`decide`, asserting that every point it settled agrees with shapely's `covers`."""
    state, decided = decide(geoms, fence, pts)
    truth = np.array(
        [
            shapely.covers(geoms[f], shapely.Point(x, y))
            for f, (x, y) in zip(fence, pts.tolist(), strict=True)
        ]
    )
    assert ((state == IN) == truth)[decided].all()
    return state, decided


def test_decided_boxes_match_shapely(rng: np.random.Generator) -> None:
    geoms = [
        random_fence(rng, 48.1 + rng.uniform(0, 0.2), 11.5 + rng.uniform(0, 0.2))
        for _ in range(120)
    ]
    chunks, owners = [], []
    for f, g in enumerate(geoms):
        x0, y0, x1, y1 = g.bounds
        uniform = np.column_stack([rng.uniform(x0, x1, 300), rng.uniform(y0, y1, 300)])
        # Box corners and borders: points exactly on the grid lines of the raster.
        dx, dy = (x1 - x0) / GRID, (y1 - y0) / GRID
        i = rng.integers(0, GRID + 1, 100)
        j = rng.integers(0, GRID + 1, 100)
        grid = np.column_stack([x0 + i * dx, y0 + j * dy])
        pts = np.vstack([uniform, grid, points_near_edges(rng, g, 150)])
        chunks.append(pts)
        owners.append(np.full(len(pts), f))
    pts, fence = np.vstack(chunks), np.concatenate(owners)
    state, decided = decide_checked(geoms, fence, pts)
    # The raster settles most points; near-edge points are mostly left to GEOS.
    assert decided.mean() > 0.5
    assert {OUT, IN} <= set(state[decided].tolist())


def test_tiny_fences_far_from_the_origin(rng: np.random.Generator) -> None:
    """Boxes of ~1e-7 degrees next to coordinates of ~180: rounding of box corners matters."""
    geoms: list[Polygon | MultiPolygon] = []
    for lng, lat in ((179.9999, 85.0), (-179.99, -60.0), (11.5, 48.1)):
        size = 5e-6  # about half a metre
        geoms.append(
            Polygon(
                [
                    (lng, lat),
                    (lng + size, lat + size * 0.3),
                    (lng + size * 0.6, lat + size),
                    (lng - size * 0.2, lat + size * 0.7),
                ]
            )
        )
    chunks, owners = [], []
    for f, g in enumerate(geoms):
        x0, y0, x1, y1 = g.bounds
        uniform = np.column_stack([rng.uniform(x0, x1, 3000), rng.uniform(y0, y1, 3000)])
        near = points_near_edges(rng, g, 3000)
        chunks.append(np.vstack([uniform, near]))
        owners.append(np.full(6000, f))
    pts, fence = np.vstack(chunks), np.concatenate(owners)
    _, decided = decide_checked(geoms, fence, pts)
    assert decided.mean() > 0.3


def test_circle_raster_shape() -> None:
    circle = circle_polygon(48.1, 11.5, 1000.0, segments=128)
    packed = rasterise(np.array([circle], dtype=object), np.array([circle.bounds]))
    boxes = np.arange(GRID * GRID)
    states = state_at(packed, np.zeros(boxes.size, np.int64), boxes).reshape(GRID, GRID)
    centre = GRID // 2
    assert states[centre, centre] == IN
    assert states[0, 0] == OUT
    assert states[0, centre] == MIXED  # the bottom edge of the bounding box touches the circle
    # Only a thin band along the edge needs GEOS.
    assert (states == MIXED).mean() < 0.15


def test_invalid_shapes_are_left_to_geos() -> None:
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    packed = rasterise(np.array([bowtie], dtype=object), np.array([bowtie.bounds]))
    boxes = np.arange(GRID * GRID)
    assert (state_at(packed, np.zeros(boxes.size, np.int64), boxes) == MIXED).all()


def test_points_outside_their_box_are_not_decided() -> None:
    square = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    bounds = np.array([square.bounds])
    steps = grid_steps(bounds)
    pts = np.array([[0.5, 0.5], [1.0, 1.0], [1.5, 0.5], [-1e-12, 0.5]])
    _box, ok = box_of(pts[:, 0], pts[:, 1], np.repeat(bounds[:, 0:2], 4, 0), np.repeat(steps, 4, 0))
    assert ok.tolist() == [True, True, False, False]
