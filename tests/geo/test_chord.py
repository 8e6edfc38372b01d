"""Unit vectors and chords stand in for great-circle distance exactly where the engine needs."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.chord import (
    chord_for_spherical_m,
    spherical_m_for_chord,
    spherical_m_for_chords,
    unit_vector,
    unit_vectors,
)
from geo.geodesy import EARTH_MEAN_RADIUS_M, destination, spherical_distances_m
from tests.geo.strategies import awkward_points, log_uniform

HALF_CIRCUMFERENCE_M = math.pi * EARTH_MEAN_RADIUS_M


@settings(deadline=None, max_examples=300)
@given(awkward_points, st.floats(0, 360), log_uniform(1e-3, 1.5e7))
def test_chord_gives_the_spherical_distance(
    start: tuple[float, float], bearing: float, distance: float
) -> None:
    lat, lng = start
    other = destination(lat, lng, bearing, distance)
    a = np.array(unit_vector(lat, lng))
    b = unit_vectors(np.array([other.lat]), np.array([other.lng]))[0]
    chord = float(np.linalg.norm(a - b))
    expected = float(
        spherical_distances_m(lat, lng, np.array([other.lat]), np.array([other.lng]))[0]
    )
    # Up to 1.5e7 m (chord < 1.9) arcsin is well conditioned: far below the 1 cm the
    # spherical prefilter allows for rounding.
    assert abs(float(spherical_m_for_chords(np.array([chord]))[0]) - expected) < 1e-4
    assert abs(spherical_m_for_chord(chord) - expected) < 1e-4


@settings(deadline=None, max_examples=200)
@given(st.floats(0.0, HALF_CIRCUMFERENCE_M), st.floats(0.0, HALF_CIRCUMFERENCE_M))
def test_chord_is_monotonic_in_distance(s1: float, s2: float) -> None:
    # Monotonic, so "nearest by chord" is "nearest on the sphere".
    if s1 <= s2:
        assert chord_for_spherical_m(s1) <= chord_for_spherical_m(s2)
    else:
        assert chord_for_spherical_m(s1) >= chord_for_spherical_m(s2)


@settings(deadline=None, max_examples=200)
@given(log_uniform(1e-3, 1.5e7))
def test_chord_and_distance_invert_each_other(distance: float) -> None:
    assert spherical_m_for_chord(chord_for_spherical_m(distance)) == pytest.approx(
        distance, rel=1e-9, abs=1e-6
    )


def test_out_of_range_inputs_are_clamped() -> None:
    assert chord_for_spherical_m(-5.0) == 0.0
    assert chord_for_spherical_m(3 * HALF_CIRCUMFERENCE_M) == 2.0
    assert spherical_m_for_chord(2.5) == HALF_CIRCUMFERENCE_M
    assert spherical_m_for_chords(np.array([-1.0]))[0] == 0.0


def test_unit_vectors_have_unit_length() -> None:
    lats = np.array([90.0, -90.0, 0.0, 48.1371, -33.9])
    lngs = np.array([0.0, 45.0, 180.0, 11.5754, -180.0])
    assert np.allclose(np.linalg.norm(unit_vectors(lats, lngs), axis=1), 1.0, atol=1e-15)
    assert np.allclose(unit_vectors(lats, lngs)[3], unit_vector(48.1371, 11.5754))
