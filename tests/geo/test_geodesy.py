import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import (
    EARTH_MEAN_RADIUS_M,
    SPHERICAL_ABS_ERROR_M,
    SPHERICAL_REL_ERROR,
    bearing_deg,
    destination,
    distance_m,
    distances_and_bearings,
    spherical_distances_m,
)
from geo.geodesy import GEOD
from tests.geo.strategies import awkward_points, latitudes, longitudes, uniform_points

MARIENPLATZ = (48.1371, 11.5754)
HAUPTBAHNHOF = (48.1402, 11.5600)
# Geod(ellps="WGS84").inv(11.5754, 48.1371, 11.5600, 48.1402) = 1196.859 m; the straight-line
# walk between the two is commonly quoted as ~1.2 km.
MARIENPLATZ_TO_HBF_M = 1196.859


def test_known_distance_munich() -> None:
    d = distance_m(*MARIENPLATZ, *HAUPTBAHNHOF)
    assert d == pytest.approx(MARIENPLATZ_TO_HBF_M, abs=1.0)
    assert abs(d - 1197.0) <= 20.0


def test_known_bearing_munich() -> None:
    # Hbf lies west-north-west of Marienplatz.
    assert bearing_deg(*MARIENPLATZ, *HAUPTBAHNHOF) == pytest.approx(286.744, abs=0.01)


@settings(deadline=None)
@given(awkward_points, awkward_points)
def test_distance_is_symmetric_and_non_negative(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    forward = distance_m(*a, *b)
    assert forward >= 0.0
    assert forward == pytest.approx(distance_m(*b, *a), rel=1e-9, abs=1e-6)
    assert forward <= 20_003_931.5 + 1e-3  # half the meridian: nothing is farther


@given(awkward_points)
def test_identical_points(a: tuple[float, float]) -> None:
    assert distance_m(*a, *a) == 0.0
    assert bearing_deg(*a, *a) == 0.0


@settings(deadline=None)
@given(awkward_points, awkward_points)
def test_bearing_range(a: tuple[float, float], b: tuple[float, float]) -> None:
    bearing = bearing_deg(*a, *b)
    assert 0.0 <= bearing < 360.0
    assert math.copysign(1.0, bearing) == 1.0  # never -0.0


@pytest.mark.parametrize(
    ("lat2", "lng2", "expected"),
    [(11.0, 10.0, 0.0), (10.0, 11.0, 90.0), (9.0, 10.0, 180.0), (10.0, 9.0, 270.0)],
)
def test_cardinal_bearings(lat2: float, lng2: float, expected: float) -> None:
    # A geodesic to a point on the same parallel leaves slightly poleward of due east/west.
    assert bearing_deg(10.0, 10.0, lat2, lng2) == pytest.approx(expected, abs=0.1)


def test_due_north_is_exactly_zero_not_360() -> None:
    assert bearing_deg(0.0, 0.0, 1.0, 0.0) == 0.0
    assert bearing_deg(-45.0, 30.0, 45.0, 30.0) == 0.0


def test_due_east_at_equator() -> None:
    assert bearing_deg(0.0, 0.0, 0.0, 1.0) == pytest.approx(90.0, abs=1e-9)


def test_antimeridian_is_the_short_way() -> None:
    d = distance_m(0.0, 179.9, 0.0, -179.9)
    assert d == pytest.approx(22_263.898, abs=0.01)
    assert bearing_deg(0.0, 179.9, 0.0, -179.9) == pytest.approx(90.0, abs=1e-6)
    assert bearing_deg(0.0, -179.9, 0.0, 179.9) == pytest.approx(270.0, abs=1e-6)


def test_poles() -> None:
    assert distance_m(90.0, 0.0, -90.0, 0.0) == pytest.approx(20_003_931.4586, abs=1e-3)
    assert distance_m(90.0, 0.0, 90.0, 123.0) == pytest.approx(0.0, abs=1e-6)
    # Crossing the pole from one side to the other heads north first.
    assert bearing_deg(89.9, 0.0, 89.9, 180.0) == 0.0
    assert distance_m(89.9, 0.0, 89.9, 180.0) == pytest.approx(2 * 11_170.0, rel=1e-3)
    assert bearing_deg(-89.0, 45.0, -90.0, 0.0) == pytest.approx(180.0, abs=1e-9)


@settings(deadline=None)
@given(
    awkward_points,
    st.lists(st.one_of(awkward_points, uniform_points()), min_size=1, max_size=20),
)
def test_vectorized_matches_scalar(
    origin: tuple[float, float], others: list[tuple[float, float]]
) -> None:
    lats = np.array([p[0] for p in others])
    lngs = np.array([p[1] for p in others])
    others.append(origin)  # includes the coincident case
    lats, lngs = np.append(lats, origin[0]), np.append(lngs, origin[1])
    dists, bearings = distances_and_bearings(*origin, lats, lngs)
    assert dists.dtype == np.float64
    assert bearings.dtype == np.float64
    for i, (lat, lng) in enumerate(others):
        assert dists[i] == pytest.approx(distance_m(*origin, lat, lng), abs=1e-6)
        assert bearings[i] == pytest.approx(bearing_deg(*origin, lat, lng), abs=1e-9)
    assert ((bearings >= 0.0) & (bearings < 360.0)).all()


def test_vectorized_empty() -> None:
    dists, bearings = distances_and_bearings(1.0, 2.0, np.empty(0), np.empty(0))
    assert dists.shape == bearings.shape == (0,)


@settings(deadline=None)
@given(
    st.floats(-80.0, 80.0),
    longitudes,
    st.floats(0.0, 359.999),
    st.floats(1.0, 1_000_000.0),
)
def test_destination_round_trip(lat: float, lng: float, bearing: float, dist: float) -> None:
    end = destination(lat, lng, bearing, dist)
    assert -90.0 <= end.lat <= 90.0
    assert -180.0 <= end.lng <= 180.0
    assert distance_m(lat, lng, end.lat, end.lng) == pytest.approx(dist, rel=1e-9, abs=1e-6)
    turned = (bearing_deg(lat, lng, end.lat, end.lng) - bearing + 180.0) % 360.0 - 180.0
    assert abs(turned) < 1e-6


def test_destination_wraps_longitude() -> None:
    end = destination(0.0, 179.99, 90.0, 10_000.0)
    assert end.lng == pytest.approx(-179.92, abs=0.01)
    over_pole = destination(89.9, 0.0, 0.0, 50_000.0)
    assert -180.0 <= over_pole.lng <= 180.0
    assert over_pole.lat < 89.9


def test_spherical_known_value() -> None:
    # A quarter of a great circle on the mean sphere.
    d = spherical_distances_m(0.0, 0.0, np.array([0.0, 90.0, 0.0]), np.array([90.0, 0.0, 0.0]))
    assert d == pytest.approx([math.pi / 2 * EARTH_MEAN_RADIUS_M] * 2 + [0.0])
    antipode = spherical_distances_m(10.0, 20.0, np.array([-10.0]), np.array([-160.0]))
    assert antipode[0] == pytest.approx(math.pi * EARTH_MEAN_RADIUS_M, abs=1e-6)


def test_spherical_is_vectorized_over_large_arrays(rng: np.random.Generator) -> None:
    lats = rng.uniform(-90, 90, 200_000)
    lngs = rng.uniform(-180, 180, 200_000)
    d = spherical_distances_m(10.0, 20.0, lats, lngs)
    assert d.shape == lats.shape
    assert d.dtype == np.float64
    assert ((d >= 0) & (d <= math.pi * EARTH_MEAN_RADIUS_M + 1e-6)).all()


def test_spherical_bound_constants_cover_the_radii_of_curvature() -> None:
    """The module doc's argument: the ellipsoid/sphere length ratio lies in [min, max] of
    M/R and N/R. Check the constant leaves room over that analytic range."""
    a, f = GEOD.a, GEOD.f
    e2 = f * (2 - f)
    meridional_equator = a * (1 - e2)
    polar = a / math.sqrt(1 - e2)
    low, high = meridional_equator / EARTH_MEAN_RADIUS_M, polar / EARTH_MEAN_RADIUS_M
    assert 1 - SPHERICAL_REL_ERROR < low < 1 < high < 1 + SPHERICAL_REL_ERROR


def _assert_bracketed(a: tuple[float, float], b: tuple[float, float]) -> None:
    geodesic = distance_m(*a, *b)
    spherical = float(spherical_distances_m(a[0], a[1], np.array([b[0]]), np.array([b[1]]))[0])
    assert geodesic <= spherical * (1 + SPHERICAL_REL_ERROR) + SPHERICAL_ABS_ERROR_M
    assert geodesic >= spherical * (1 - SPHERICAL_REL_ERROR) - SPHERICAL_ABS_ERROR_M


@st.composite
def near_antipodal_pairs(draw: st.DrawFn) -> tuple[tuple[float, float], tuple[float, float]]:
    lat, lng = draw(uniform_points())
    d_lat = draw(st.floats(-0.5, 0.5))
    d_lng = draw(st.floats(-0.5, 0.5))
    other_lat = max(-90.0, min(90.0, -lat + d_lat))
    other_lng = (lng + 180.0 + d_lng + 180.0) % 360.0 - 180.0
    return (lat, lng), (other_lat, other_lng)


@st.composite
def close_pairs(draw: st.DrawFn) -> tuple[tuple[float, float], tuple[float, float]]:
    lat, lng = draw(awkward_points)
    end = destination(lat, lng, draw(st.floats(0, 360)), draw(st.floats(0.0, 2000.0)))
    return (lat, lng), (end.lat, end.lng)


@settings(deadline=None, max_examples=300)
@given(
    st.one_of(
        st.tuples(awkward_points, awkward_points),
        st.tuples(st.tuples(latitudes, longitudes), st.tuples(latitudes, longitudes)),
        near_antipodal_pairs(),
        close_pairs(),
    )
)
def test_spherical_bound_holds_for_any_pair(
    pair: tuple[tuple[float, float], tuple[float, float]],
) -> None:
    _assert_bracketed(*pair)


def test_spherical_bound_on_exact_antipodes_and_extremes() -> None:
    for a, b in [
        ((0.0, 0.0), (0.0, 180.0)),
        ((90.0, 0.0), (-90.0, 0.0)),
        ((45.0, 10.0), (-45.0, -170.0)),
        ((0.0, 0.0), (1e-9, 0.0)),
        ((0.0, 0.0), (0.0, 1e-9)),
        ((89.999999, 0.0), (89.999999, 180.0)),
    ]:
        _assert_bracketed(a, b)
