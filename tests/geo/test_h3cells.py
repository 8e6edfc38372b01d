import h3.api.basic_int as h3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import (
    INDEX_RESOLUTION,
    InvalidCoordinate,
    InvalidGeometry,
    cell_of,
    cells_of,
    circle_cover,
    resolution_for_radius,
)
from geo.geodesy import GEOD
from geo.h3cells import disk_k_for_radius
from tests.geo.strategies import awkward_points, log_uniform, uniform_points


@given(awkward_points)
def test_cell_of_is_the_h3_cell(point: tuple[float, float]) -> None:
    cell = cell_of(*point)
    assert cell == h3.latlng_to_cell(*point, INDEX_RESOLUTION)
    assert h3.get_resolution(cell) == 15
    assert 0 < cell < 2**63


def test_cell_of_refuses_bad_input() -> None:
    with pytest.raises(InvalidCoordinate):
        cell_of(91.0, 0.0)
    with pytest.raises(ValueError, match="resolution"):
        cell_of(0.0, 0.0, 16)


@given(st.lists(awkward_points, max_size=30), st.integers(0, 15))
def test_cells_of_matches_cell_of(points: list[tuple[float, float]], res: int) -> None:
    lats = np.array([p[0] for p in points], dtype=np.float64)
    lngs = np.array([p[1] for p in points], dtype=np.float64)
    cells = cells_of(lats, lngs, res)
    assert cells.dtype == np.int64
    assert cells.tolist() == [cell_of(lat, lng, res) for lat, lng in points]


def test_cells_of_refuses_bad_input() -> None:
    with pytest.raises(InvalidCoordinate) as caught:
        cells_of(np.array([0.0, np.nan]), np.array([0.0, 0.0]))
    assert caught.value.details["field"] == "lats[1]"
    with pytest.raises(InvalidCoordinate):
        cells_of(np.array([0.0]), np.array([180.5]))
    with pytest.raises(ValueError, match="equal length"):
        cells_of(np.array([0.0]), np.array([0.0, 1.0]))


def test_resolution_for_radius_is_monotone_and_bounded() -> None:
    radii = np.geomspace(0.1, 100_000.0, 400)
    resolutions = [resolution_for_radius(float(r)) for r in radii]
    assert resolutions[0] == 15
    assert resolutions == sorted(resolutions, reverse=True)
    assert all(0 <= r <= 15 for r in resolutions)
    assert resolution_for_radius(0.0) == 15
    assert resolution_for_radius(1e-9) == 15
    assert resolution_for_radius(10_000_000.0) == 0


@pytest.mark.parametrize("radius", [-1.0, float("nan"), float("inf")])
def test_resolution_for_radius_refuses_bad_radius(radius: float) -> None:
    with pytest.raises(InvalidGeometry) as caught:
        resolution_for_radius(radius)
    assert caught.value.details["reason"] == "invalid_radius"


def test_default_resolution_needs_one_to_three_rings(rng: np.random.Generator) -> None:
    rings = []
    for radius in np.geomspace(0.1, 100_000.0, 60):
        for _ in range(20):
            lat = float(np.degrees(np.arcsin(rng.uniform(-1, 1))))
            centre = h3.latlng_to_cell(lat, rng.uniform(-180, 180), resolution_for_radius(radius))
            rings.append(disk_k_for_radius(centre, float(radius)))
    assert set(rings) <= {1, 2, 3}


def _assert_covered(
    lat: float, lng: float, radius: float, res: int | None, seed: int, n: int = 40
) -> None:
    cover = set(circle_cover(lat, lng, radius, res))
    cover_res = resolution_for_radius(radius) if res is None else res
    assert all(h3.get_resolution(c) == cover_res for c in cover)
    sampler = np.random.default_rng(seed)
    bearings = sampler.uniform(0.0, 360.0, n)
    # Area-uniform distances, then a full ring at exactly the radius, where gaps would show.
    dists = np.concatenate([radius * np.sqrt(sampler.uniform(0.0, 1.0, n)), np.full(n, radius)])
    bearings = np.concatenate([bearings, np.linspace(0.0, 360.0, n, endpoint=False)])
    lngs, lats, _ = GEOD.fwd(np.full(2 * n, lng), np.full(2 * n, lat), bearings, dists)
    for plat, plng in zip(lats.tolist(), lngs.tolist(), strict=True):
        assert h3.latlng_to_cell(plat, plng, cover_res) in cover, (plat, plng)


@settings(deadline=None, max_examples=300)
@given(
    awkward_points,
    log_uniform(1.0, 50_000.0),
    st.one_of(st.none(), st.integers(0, 3)),
    st.integers(0, 2**32),
)
def test_circle_cover_has_no_gaps(
    centre: tuple[float, float], radius: float, finer: int | None, seed: int
) -> None:
    res = None if finer is None else min(15, resolution_for_radius(radius) + finer)
    _assert_covered(*centre, radius, res, seed)


@settings(deadline=None, max_examples=30)
@given(uniform_points(), log_uniform(50_000.0, 100_000.0), st.integers(0, 2**32))
def test_circle_cover_up_to_100_km(centre: tuple[float, float], radius: float, seed: int) -> None:
    _assert_covered(*centre, radius, None, seed)


@pytest.mark.parametrize("radius", [1.0, 30.0, 500.0, 5_000.0, 50_000.0])
@pytest.mark.parametrize("lat", [90.0, -90.0, 89.99])
def test_circle_cover_around_the_poles(lat: float, radius: float) -> None:
    _assert_covered(lat, 0.0, radius, None, seed=1, n=100)


@pytest.mark.parametrize("res", [1, 4, 8, 12, 15])
def test_circle_cover_at_every_pentagon(res: int) -> None:
    radius = 2.0 * h3.average_hexagon_edge_length(res, unit="m")
    for pentagon in h3.get_pentagons(res):
        for vertex_lat, vertex_lng in h3.cell_to_boundary(pentagon):
            _assert_covered(vertex_lat, vertex_lng, radius, res, seed=res, n=24)


def test_circle_cover_on_the_antimeridian() -> None:
    cover = circle_cover(0.0, 180.0, 2_000.0)
    lngs = [h3.cell_to_latlng(c)[1] for c in cover]
    assert min(lngs) < -179.0
    assert max(lngs) > 179.0
    _assert_covered(0.0, 180.0, 2_000.0, None, seed=3, n=200)
    _assert_covered(-30.0, -179.999, 20_000.0, None, seed=4, n=200)


def test_circle_cover_edge_cases() -> None:
    assert circle_cover(10.0, 10.0, 0.0) == [h3.latlng_to_cell(10.0, 10.0, 15)]
    assert len(circle_cover(10.0, 10.0, 0.1)) == 7
    with pytest.raises(InvalidGeometry) as caught:
        circle_cover(10.0, 10.0, 50_000.0, res=15)
    assert caught.value.details["reason"] == "cover_too_large"
    with pytest.raises(InvalidGeometry):
        circle_cover(10.0, 10.0, -5.0)
    with pytest.raises(InvalidCoordinate):
        circle_cover(10.0, 190.0, 5.0)
