import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.geodesy import destination, distance_m
from geo.motion import Fix, implied_speed, within_radius

MARIENPLATZ = (48.1371, 11.5754)
HAUPTBAHNHOF = (48.1402, 11.5600)  # 1196.859 m away (see test_geodesy)


def test_within_radius_counts_accuracy() -> None:
    spot = destination(*MARIENPLATZ, 90.0, 30.0)
    # 30 m away, radius 20: an 11 m fix reaches; a 5 m fix falls 5 m short.
    reach = within_radius(
        spot.lat,
        spot.lng,
        11.0,
        target_lat=MARIENPLATZ[0],
        target_lng=MARIENPLATZ[1],
        radius_m=20.0,
    )
    assert reach.distance_m == pytest.approx(30.0, abs=1e-6)
    assert reach.within
    short = within_radius(
        spot.lat, spot.lng, 5.0, target_lat=MARIENPLATZ[0], target_lng=MARIENPLATZ[1], radius_m=20.0
    )
    assert not short.within
    assert short.shortfall_m == pytest.approx(5.0, abs=1e-6)


def test_within_radius_refuses_bad_numbers() -> None:
    with pytest.raises(ValueError, match="accuracy_m"):
        within_radius(*MARIENPLATZ, -1.0, target_lat=0.0, target_lng=0.0, radius_m=1.0)
    with pytest.raises(ValueError, match="accuracy_m"):
        within_radius(*MARIENPLATZ, math.nan, target_lat=0.0, target_lng=0.0, radius_m=1.0)


def test_walking_is_plausible_and_teleport_is_not() -> None:
    a = Fix(*MARIENPLATZ, accuracy_m=5.0, at_s=0.0)
    walked = Fix(*HAUPTBAHNHOF, accuracy_m=5.0, at_s=900.0)  # 1.2 km in 15 min
    check = implied_speed(a, walked, max_speed_mps=50.0)
    assert check.plausible
    assert check.speed_mps == pytest.approx((1196.859 - 10.0) / 900.0, rel=1e-4)
    berlin = Fix(52.5200, 13.4050, accuracy_m=5.0, at_s=60.0)  # ~500 km in a minute
    jump = implied_speed(a, berlin, max_speed_mps=50.0)
    assert not jump.plausible
    assert jump.speed_mps > 5000.0


def test_jitter_within_accuracy_is_no_movement() -> None:
    a = Fix(*MARIENPLATZ, accuracy_m=20.0, at_s=0.0)
    p = destination(*MARIENPLATZ, 45.0, 35.0)
    b = Fix(p.lat, p.lng, accuracy_m=20.0, at_s=0.0)  # same instant, 35 m apart
    check = implied_speed(a, b, max_speed_mps=1.0)
    assert check.speed_mps == 0.0
    assert check.plausible


def test_same_instant_uses_min_interval_and_skew_is_not_a_free_pass() -> None:
    a = Fix(*MARIENPLATZ, accuracy_m=0.0, at_s=100.0)
    p = destination(*MARIENPLATZ, 0.0, 500.0)
    earlier_clock = Fix(p.lat, p.lng, accuracy_m=0.0, at_s=50.0)
    check = implied_speed(a, earlier_clock, max_speed_mps=50.0, min_interval_s=1.0)
    assert check.speed_mps == pytest.approx(500.0, rel=1e-6)
    assert not check.plausible


@settings(deadline=None, max_examples=200)
@given(
    st.floats(-80, 80),
    st.floats(-179, 179),
    st.floats(0, 360, exclude_max=True),
    st.floats(0, 5000),
    st.floats(0, 5000),
    st.floats(0, 100),
)
def test_chained_plausible_moves_are_plausible_end_to_end(
    lat: float, lng: float, bearing: float, d1: float, d2: float, acc: float
) -> None:
    # Why checking a claim against BOTH the last location update and the last claim attempt is
    # safe: if each leg is plausible, the direct move is too (triangle inequality).
    vmax = 30.0
    a = Fix(lat, lng, acc, 0.0)
    mid = destination(lat, lng, bearing, d1)
    b = Fix(mid.lat, mid.lng, acc, max(1.0, d1 / vmax))
    end = destination(mid.lat, mid.lng, (bearing + 77.0) % 360.0, d2)
    c = Fix(end.lat, end.lng, acc, b.at_s + max(1.0, d2 / vmax))
    assert implied_speed(a, b, max_speed_mps=vmax).speed_mps <= vmax * (1 + 1e-9)
    assert implied_speed(b, c, max_speed_mps=vmax).speed_mps <= vmax * (1 + 1e-9)
    direct = implied_speed(a, c, max_speed_mps=vmax)
    assert direct.speed_mps <= vmax * (1 + 1e-6) + 1e-6
    assert direct.distance_m == pytest.approx(distance_m(lat, lng, end.lat, end.lng))
