import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

from geo import (
    InvalidCoordinate,
    InvalidGeometry,
    circle_polygon,
    distance_m,
    geodesic_area_m2,
    polygon_from_geojson,
)

# ~1.1 km x 1.1 km around Munich, counter-clockwise.
SQUARE = [[11.57, 48.13], [11.585, 48.13], [11.585, 48.14], [11.57, 48.14], [11.57, 48.13]]
HOLE = [[11.575, 48.133], [11.575, 48.137], [11.58, 48.137], [11.58, 48.133], [11.575, 48.133]]


def poly(*rings: list[list[float]]) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": list(rings)}


def shifted(ring: list[list[float]], d_lng: float, d_lat: float = 0.0) -> list[list[float]]:
    return [[lng + d_lng, lat + d_lat] for lng, lat in ring]


def reason_of(geometry: object, **limits: float) -> InvalidGeometry:
    with pytest.raises(InvalidGeometry) as caught:
        polygon_from_geojson(geometry, **limits)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_geometry"
    assert caught.value.message
    return caught.value


def test_valid_polygon() -> None:
    geom = polygon_from_geojson(poly(SQUARE))
    assert isinstance(geom, Polygon)
    assert geom.is_valid
    assert geodesic_area_m2(geom) == pytest.approx(1_236_000, rel=0.01)


def test_valid_polygon_with_hole() -> None:
    geom = polygon_from_geojson(poly(SQUARE, HOLE))
    assert isinstance(geom, Polygon)
    assert len(geom.interiors) == 1
    full = geodesic_area_m2(polygon_from_geojson(poly(SQUARE)))
    assert geodesic_area_m2(geom) < full


def test_valid_multipolygon_and_3d_positions() -> None:
    second = [[lng, lat, 520.0] for lng, lat in shifted(SQUARE, 0.1)]
    geom = polygon_from_geojson({"type": "MultiPolygon", "coordinates": [[SQUARE], [second]]})
    assert isinstance(geom, MultiPolygon)
    assert len(geom.geoms) == 2


def test_split_at_antimeridian_is_accepted() -> None:
    east = [[179.0, 0.0], [180.0, 0.0], [180.0, 1.0], [179.0, 1.0], [179.0, 0.0]]
    west = [[-180.0, 0.0], [-179.0, 0.0], [-179.0, 1.0], [-180.0, 1.0], [-180.0, 0.0]]
    geom = polygon_from_geojson({"type": "MultiPolygon", "coordinates": [[east], [west]]})
    assert geodesic_area_m2(geom) == pytest.approx(2 * 12_308_778_361.47, rel=1e-6)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [0.0, 0.0]},
        {"type": "LineString", "coordinates": [[0.0, 0.0], [1.0, 1.0]]},
        {"coordinates": [SQUARE]},
        "Polygon",
        None,
    ],
)
def test_unsupported_type(geometry: object) -> None:
    assert reason_of(geometry).details["reason"] == "unsupported_type"


@pytest.mark.parametrize(
    "coordinates",
    [None, [], [[]][0], "x", [SQUARE[0]], [[1.0, 2.0, 3.0, 4.0]], [[[1.0], *SQUARE[1:]]]],
)
def test_malformed_coordinates(coordinates: object) -> None:
    err = reason_of({"type": "Polygon", "coordinates": coordinates})
    assert err.details["reason"] == "malformed_coordinates"


def test_too_few_positions() -> None:
    err = reason_of(poly([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]))
    assert err.details == {"reason": "too_few_positions", "ring": 0, "positions": 3}


def test_unclosed_ring() -> None:
    err = reason_of(poly([*SQUARE[:-1], [11.57, 48.1301]]))
    assert err.details["reason"] == "unclosed_ring"
    assert err.details["ring"] == 0


def test_unclosed_hole_in_multipolygon_says_where() -> None:
    err = reason_of({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE, HOLE[:-1]]]})
    assert err.details["reason"] == "unclosed_ring"
    assert (err.details["polygon"], err.details["ring"]) == (1, 1)
    assert "hole 1 of polygon 1" in err.message


@pytest.mark.parametrize(
    ("position", "field"),
    [
        ([11.58, 91.0], "lat"),
        ([181.0, 48.0], "lng"),
        ([math.nan, 48.0], "lng"),
        ([11.58, math.inf], "lat"),
        (["11.58", 48.0], "lng"),
        ([True, 48.0], "lng"),
    ],
)
def test_invalid_coordinate(position: list[object], field: str) -> None:
    ring: list[list[object]] = [list(p) for p in SQUARE]
    ring[2] = position
    err = reason_of(poly(ring))  # type: ignore[arg-type]
    assert err.details["reason"] == "invalid_coordinate"
    assert (err.details["ring"], err.details["position"], err.details["field"]) == (0, 2, field)
    assert not isinstance(err, InvalidCoordinate)


def test_too_many_vertices() -> None:
    n = 5000
    ring = [
        [11.5 + 0.01 * math.cos(2 * math.pi * i / n), 48.1 + 0.01 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    err = reason_of(poly([*ring, ring[0]]))
    assert err.details == {"reason": "too_many_vertices", "vertices": 5000, "max": 2000}
    assert isinstance(polygon_from_geojson(poly([*ring, ring[0]]), max_vertices=5000), Polygon)
    # Four distinct corners: the closing repeat does not count.
    assert reason_of(poly(SQUARE), max_vertices=3).details["vertices"] == 4


def test_self_intersection_reports_the_crossing() -> None:
    # A bow tie whose edges cross at (11.5775, 48.135).
    bow_tie = [[11.57, 48.13], [11.585, 48.14], [11.585, 48.13], [11.57, 48.14], [11.57, 48.13]]
    err = reason_of(poly(bow_tie))
    assert err.details["reason"] == "self_intersection"
    location = err.details["location"]
    assert isinstance(location, dict)
    assert location["lng"] == pytest.approx(11.5775, abs=1e-9)
    assert location["lat"] == pytest.approx(48.135, abs=1e-9)


def test_overlapping_multipolygon_parts_self_intersect() -> None:
    err = reason_of({"type": "MultiPolygon", "coordinates": [[SQUARE], [shifted(SQUARE, 0.005)]]})
    assert err.details["reason"] == "self_intersection"


def test_hole_outside_shell() -> None:
    err = reason_of(poly(SQUARE, shifted(HOLE, 0.1)))
    assert err.details["reason"] == "hole_outside_shell"
    assert "location" in err.details


def test_wrong_winding_exterior() -> None:
    err = reason_of(poly(SQUARE[::-1]))
    assert err.details == {"reason": "wrong_winding", "ring": 0, "expected": "counter-clockwise"}


def test_wrong_winding_hole() -> None:
    err = reason_of(poly(SQUARE, HOLE[::-1]))
    assert err.details == {"reason": "wrong_winding", "ring": 1, "expected": "clockwise"}


def test_antimeridian_crossing() -> None:
    ring = [[179.5, 0.0], [-179.5, 0.0], [-179.5, 1.0], [179.5, 1.0], [179.5, 0.0]]
    err = reason_of(poly(ring))
    assert err.details["reason"] == "antimeridian_crossing"
    assert err.details["edge"] == 0
    assert "split" in err.message


def test_area_too_small() -> None:
    tiny = [[11.5, 48.1], [11.500001, 48.1], [11.500001, 48.100001], [11.5, 48.1]]
    err = reason_of(poly(tiny))
    assert err.details["reason"] == "area_too_small"
    assert isinstance(err.details["area_m2"], float)
    assert err.details["area_m2"] < 1.0


def test_area_too_large() -> None:
    # ~ 1,100 km square: a country, not a fence.
    big = [[0.0, 40.0], [13.0, 40.0], [13.0, 50.0], [0.0, 50.0], [0.0, 40.0]]
    err = reason_of(poly(big))
    assert err.details["reason"] == "area_too_large"
    assert err.details["max"] == 5e10
    assert isinstance(polygon_from_geojson(poly(big), max_area_m2=1e13), Polygon)
    assert reason_of(poly(SQUARE), min_area_m2=2e6).details["reason"] == "area_too_small"


def test_geodesic_area_known_value() -> None:
    degree = Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    assert geodesic_area_m2(degree) == pytest.approx(12_308_778_361.47, rel=1e-9)
    assert geodesic_area_m2(Polygon(list(degree.exterior.coords)[::-1])) == pytest.approx(
        12_308_778_361.47, rel=1e-9
    )


@settings(deadline=None, max_examples=60)
@given(
    st.floats(-85.0, 85.0),
    st.floats(-179.0, 179.0),
    st.floats(1.0, 50_000.0),
    st.integers(8, 128),
)
def test_circle_polygon(lat: float, lng: float, radius: float, segments: int) -> None:
    crosses = abs(lng) + math.degrees(radius * 1.01 / (6_356_000 * math.cos(math.radians(lat))))
    if crosses >= 180.0:
        return  # covered by test_circle_polygon_refuses_antimeridian_and_poles
    circle = circle_polygon(lat, lng, radius, segments=segments)
    assert circle.is_valid
    assert circle.exterior.is_ccw
    coords = list(circle.exterior.coords)
    assert len(coords) == segments + 1
    for v_lng, v_lat in coords:
        assert distance_m(lat, lng, v_lat, v_lng) == pytest.approx(radius, rel=1e-9, abs=1e-6)
    # An inscribed regular polygon: area sin(2π/n)·n/(2π) of the disc's.
    expected = math.pi * radius**2 * math.sin(2 * math.pi / segments) * segments / (2 * math.pi)
    assert geodesic_area_m2(circle) == pytest.approx(expected, rel=2e-3)
    # A stored circle fence must survive the client-geometry checks.
    geojson = {"type": "Polygon", "coordinates": [[list(c) for c in coords]]}
    assert polygon_from_geojson(geojson).equals(circle)


@pytest.mark.parametrize("radius", [0.5, 0.0, -1.0, 50_001.0, math.nan, math.inf])
def test_circle_polygon_refuses_bad_radius(radius: float) -> None:
    with pytest.raises(InvalidGeometry) as caught:
        circle_polygon(0.0, 0.0, radius)
    assert caught.value.details["reason"] == "invalid_radius"


def test_circle_polygon_refuses_antimeridian_and_poles() -> None:
    for lat, lng in [(0.0, 179.9), (0.0, -179.99), (89.9, 0.0), (-89.9, 10.0)]:
        with pytest.raises(InvalidGeometry) as caught:
            circle_polygon(lat, lng, 20_000.0)
        assert caught.value.details["reason"] == "antimeridian_crossing"
    with pytest.raises(InvalidCoordinate):
        circle_polygon(95.0, 0.0, 100.0)
    with pytest.raises(ValueError, match="segments"):
        circle_polygon(0.0, 0.0, 100.0, segments=4)
