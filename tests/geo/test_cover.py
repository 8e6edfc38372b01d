import math

import h3.api.basic_int as h3
import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from geo import (
    InvalidGeometry,
    PolygonCover,
    circle_polygon,
    polygon_cover,
    polygon_from_geojson,
    resolution_for_polygon,
)
from tests.geo.strategies import log_uniform

WORLD = box(-180.0, -90.0, 180.0, 90.0)
METRES_PER_DEGREE = 111_320.0


@st.composite
def places(draw: st.DrawFn) -> tuple[float, float]:
    kind = draw(st.sampled_from(["anywhere", "high_latitude", "antimeridian"]))
    sign = draw(st.sampled_from([-1.0, 1.0]))
    if kind == "high_latitude":
        return sign * draw(st.floats(70.0, 88.0)), draw(st.floats(-180.0, 180.0))
    if kind == "antimeridian":
        return draw(st.floats(-75.0, 75.0)), sign * draw(st.floats(179.0, 180.0))
    return math.degrees(math.asin(draw(st.floats(-0.97, 0.97)))), draw(st.floats(-180.0, 180.0))


def _star(lat: float, lng: float, angles: list[float], radii: list[float]) -> Polygon:
    """A polygon star-shaped around its centre, counter-clockwise in the (lng, lat) plane."""
    scale = METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.02)
    return Polygon(
        [
            (lng + r * math.cos(a) / scale, lat + r * math.sin(a) / METRES_PER_DEGREE)
            for a, r in zip(angles, radii, strict=True)
        ]
    )


def _fold_into_world(geom: Polygon) -> Polygon | MultiPolygon | None:
    """Clip to the lng/lat rectangle, moving any part beyond ±180 to the other side, as a
    client splitting at the antimeridian would."""
    parts = [geom.intersection(WORLD)]
    for shift in (-360.0, 360.0):
        moved = shapely.affinity.translate(geom, xoff=shift).intersection(WORLD)
        if moved.area > 0:
            parts.append(moved)
    folded = shapely.union_all(parts)
    if isinstance(folded, Polygon | MultiPolygon) and folded.is_valid and folded.area > 0:
        return folded
    return None


@st.composite
def shapes(draw: st.DrawFn) -> Polygon | MultiPolygon:
    lat, lng = draw(places())
    radius = draw(log_uniform(30.0, 40_000.0))
    n = draw(st.integers(4, 20))
    convex = draw(st.booleans())
    # Gaps between 1 and 2 parts of a full turn split n ways: every gap stays below π, so the
    # polygon is star-shaped around its centre and a hole around the centre fits inside.
    weights = np.array(draw(st.lists(st.floats(1.0, 2.0), min_size=n, max_size=n)))
    turn = draw(st.floats(0.0, 2 * math.pi))
    angles = (turn + 2 * math.pi * np.cumsum(weights) / weights.sum()).tolist()
    radii = [radius] * n if convex else [radius * draw(st.floats(0.2, 1.0)) for _ in range(n)]
    star = _star(lat, lng, angles, radii)
    assume(star.is_valid)
    if not convex and draw(st.booleans()):
        hole = _star(lat, lng, [2 * math.pi * i / 6 for i in range(6)], [0.1 * radius] * 6)
        star = star.difference(hole)
    folded = _fold_into_world(star)
    assume(folded is not None)
    assert folded is not None
    return folded


def _ancestor_in(cell: int, cells: set[int]) -> bool:
    return any(h3.cell_to_parent(cell, r) in cells for r in range(h3.get_resolution(cell) + 1))


def _sample_inside_bboxes(
    geom: Polygon | MultiPolygon, sampler: np.random.Generator, n: int
) -> np.ndarray:
    parts = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    chunks = []
    for part in parts:
        min_lng, min_lat, max_lng, max_lat = part.bounds
        pad_lng, pad_lat = 0.05 * (max_lng - min_lng), 0.05 * (max_lat - min_lat)
        chunks.append(
            np.column_stack(
                [
                    np.clip(sampler.uniform(min_lng - pad_lng, max_lng + pad_lng, n), -180, 180),
                    np.clip(sampler.uniform(min_lat - pad_lat, max_lat + pad_lat, n), -90, 90),
                ]
            )
        )
    return np.vstack(chunks)


def _sample_on_boundary(
    geom: Polygon | MultiPolygon, sampler: np.random.Generator, n: int
) -> np.ndarray:
    outline = geom.boundary
    points = shapely.line_interpolate_point(outline, sampler.uniform(0, 1, n), normalized=True)
    vertices = shapely.get_coordinates(outline)
    return np.vstack([shapely.get_coordinates(points), vertices])


def _cell_outline_points(cells: list[int]) -> np.ndarray:
    """Every vertex of the cells and the great-circle midpoint of every edge, as (lng, lat)."""
    out = []
    for cell in cells:
        boundary = h3.cell_to_boundary(cell)
        for (lat1, lng1), (lat2, lng2) in zip(boundary, [*boundary[1:], boundary[0]], strict=True):
            out.append((lng1, lat1))
            a = _xyz(lat1, lng1) + _xyz(lat2, lng2)
            out.append(
                (
                    math.degrees(math.atan2(a[1], a[0])),
                    math.degrees(math.atan2(a[2], math.hypot(a[0], a[1]))),
                )
            )
    return np.array(out)


def _xyz(lat: float, lng: float) -> np.ndarray:
    la, lo = math.radians(lat), math.radians(lng)
    return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])


def check_cover(geom: Polygon | MultiPolygon, cover: PolygonCover, seed: int) -> None:
    res = cover.res
    boundary = set(cover.boundary)
    interior = set(cover.interior)
    assert len(boundary) == len(cover.boundary)
    assert all(h3.get_resolution(c) == res for c in boundary)
    assert all(h3.get_resolution(c) <= res for c in interior)
    assert not any(_ancestor_in(c, interior) for c in boundary)
    fine_interior = set(h3.uncompact_cells(cover.interior, res)) if interior else set()
    assert len(fine_interior) == sum(h3.cell_to_children_size(c, res) for c in interior)

    sampler = np.random.default_rng(seed)
    shapely.prepare(geom)

    # Every point of the shape is in an interior or a boundary cell; interior cells hold
    # only points of the shape.
    points = _sample_inside_bboxes(geom, sampler, 300)
    inside = shapely.covers(geom, shapely.points(points))
    for (lng, lat), is_inside in zip(points.tolist(), inside.tolist(), strict=True):
        cell = h3.latlng_to_cell(lat, lng, res)
        if cell in fine_interior:
            assert is_inside, ("interior cell holds an outside point", lat, lng)
        elif is_inside:
            assert cell in boundary, ("uncovered point", lat, lng)

    # Points on the shape's own outline always need the exact test.
    for lng, lat in _sample_on_boundary(geom, sampler, 200).tolist():
        assert h3.latlng_to_cell(lat, lng, res) in boundary, ("outline point", lat, lng)

    # The riskiest interior cells are those next to boundary cells: check their outlines
    # (vertices and curved edge midpoints) lie in the shape, plus a random sample of the rest.
    risky = {n for b in boundary for n in h3.grid_disk(b, 1)} & fine_interior
    rest = sorted(fine_interior - risky)
    picked = sorted(risky) + [rest[i] for i in sampler.permutation(len(rest))[:200]]
    if picked:
        outline = _cell_outline_points(picked)
        assert shapely.covers(geom, shapely.points(outline)).all()


@settings(deadline=None, max_examples=60)
@given(shapes(), st.integers(0, 1), st.integers(0, 2**32))
def test_polygon_cover_properties(geom: Polygon | MultiPolygon, finer: int, seed: int) -> None:
    res = min(15, resolution_for_polygon(geom) + finer)
    check_cover(geom, polygon_cover(geom, res), seed)


@pytest.mark.parametrize(
    "geom",
    [
        # Reaches the pole: the top edge is the pole itself.
        Polygon([(0.0, 88.0), (30.0, 88.0), (30.0, 90.0), (0.0, 90.0)]),
        Polygon([(-170.0, -90.0), (-100.0, -90.0), (-100.0, -89.0), (-170.0, -89.0)]),
        # Touching the antimeridian from both sides, as a split client geometry.
        MultiPolygon(
            [
                Polygon([(179.7, 10.0), (180.0, 10.0), (180.0, 10.3), (179.7, 10.3)]),
                Polygon([(-180.0, 10.0), (-179.7, 10.0), (-179.7, 10.3), (-180.0, 10.3)]),
            ]
        ),
        circle_polygon(48.137, 11.575, 2_000.0),
        # A ~200 km square, near the size limit.
        Polygon([(10.0, 50.0), (12.8, 50.0), (12.8, 51.8), (10.0, 51.8)]),
    ],
    ids=["north-pole", "south-pole", "antimeridian-split", "munich-circle", "region"],
)
def test_polygon_cover_awkward_shapes(geom: Polygon | MultiPolygon) -> None:
    cover = polygon_cover(geom, resolution_for_polygon(geom))
    check_cover(geom, cover, seed=7)
    assert cover.boundary


def test_polygon_cover_of_shape_with_hole() -> None:
    geom = polygon_from_geojson(
        {
            "type": "Polygon",
            "coordinates": [
                [[11.5, 48.1], [11.6, 48.1], [11.6, 48.2], [11.5, 48.2], [11.5, 48.1]],
                [[11.54, 48.14], [11.54, 48.16], [11.56, 48.16], [11.56, 48.14], [11.54, 48.14]],
            ],
        }
    )
    res = resolution_for_polygon(geom)
    cover = polygon_cover(geom, res)
    check_cover(geom, cover, seed=8)
    assert h3.latlng_to_cell(48.15, 11.55, res) not in set(h3.uncompact_cells(cover.interior, res))


def test_tiny_polygon_inside_one_cell() -> None:
    geom = Polygon([(11.5, 48.1), (11.50003, 48.1), (11.50003, 48.10003), (11.5, 48.10003)])
    cover = polygon_cover(geom, 5)
    assert cover.interior == []
    assert h3.latlng_to_cell(48.100015, 11.500015, 5) in cover.boundary
    check_cover(geom, cover, seed=9)


@pytest.mark.parametrize("radius", [50.0, 500.0, 5_000.0, 50_000.0])
def test_resolution_for_polygon_keeps_boundary_in_the_hundreds(radius: float) -> None:
    geom = circle_polygon(40.0, -3.7, radius)
    cover = polygon_cover(geom, resolution_for_polygon(geom))
    assert 100 <= len(cover.boundary) <= 1_000


def test_resolution_for_polygon_caps_at_15() -> None:
    small = circle_polygon(40.0, -3.7, 5.0)
    assert resolution_for_polygon(small) == 15
    assert 0 < len(polygon_cover(small, 15).boundary) < 100
    assert resolution_for_polygon(Polygon([(0, 0), (1e-6, 0), (1e-6, 1e-6), (0, 1e-6)])) == 15


def test_polygon_cover_refuses_bad_input() -> None:
    region = Polygon([(10.0, 50.0), (12.8, 50.0), (12.8, 51.8), (10.0, 51.8)])
    with pytest.raises(InvalidGeometry) as caught:
        polygon_cover(region, 13)
    assert caught.value.details["reason"] == "cover_too_large"
    with pytest.raises(ValueError, match="resolution"):
        polygon_cover(region, 16)
    with pytest.raises(InvalidGeometry):
        polygon_cover(Polygon(), 5)


def test_polygon_cover_refuses_shapes_h3_would_read_differently() -> None:
    wraps = Polygon([(170.0, 0.0), (-170.0, 0.0), (-170.0, 1.0), (170.0, 1.0)])
    with pytest.raises(InvalidGeometry) as caught:
        polygon_cover(wraps, 3)
    assert caught.value.details["reason"] == "antimeridian_crossing"
    outside = Polygon([(179.0, 0.0), (181.0, 0.0), (181.0, 1.0), (179.0, 1.0)])
    with pytest.raises(InvalidGeometry) as caught:
        polygon_cover(outside, 3)
    assert caught.value.details["reason"] == "invalid_coordinate"
