"""Points as unit vectors, and the chord between two of them as a stand-in for distance.

The nearby engine keeps every placement as a unit vector (x, y, z) on the same sphere that
`geo.geodesy.spherical_distances_m` uses (geodetic latitude taken as spherical latitude, mean
Earth radius), so a k-d tree can search by straight-line (chord) distance. The chord c and
the great-circle distance s are tied by c = 2·sin(s / 2R): strictly increasing on [0, πR], so
"k nearest by chord" is exactly "k nearest on the sphere", and the proven spherical/geodesic
bound (`SPHERICAL_REL_ERROR`) carries over unchanged.
"""

import math

import numpy as np
import numpy.typing as npt

from geo.geodesy import EARTH_MEAN_RADIUS_M

FloatArray = npt.NDArray[np.float64]

# Largest chord: two antipodal points.
MAX_CHORD = 2.0


def unit_vector(lat: float, lng: float) -> tuple[float, float, float]:
    phi, lam = math.radians(lat), math.radians(lng)
    cos_phi = math.cos(phi)
    return cos_phi * math.cos(lam), cos_phi * math.sin(lam), math.sin(phi)


def unit_vectors(lats: FloatArray, lngs: FloatArray) -> FloatArray:
    """(n, 3) unit vectors for n points."""
    phi = np.radians(np.asarray(lats, dtype=np.float64))
    lam = np.radians(np.asarray(lngs, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


def chord_for_spherical_m(distance_m: float) -> float:
    """The chord (on the unit sphere) of a great-circle distance; distances past half the
    circumference map to the antipodal chord 2."""
    angle = min(max(distance_m, 0.0) / EARTH_MEAN_RADIUS_M, math.pi)
    return 2.0 * math.sin(angle / 2.0)


def spherical_m_for_chords(chords: FloatArray) -> FloatArray:
    """Great-circle distances (m) for chords on the unit sphere."""
    half = np.clip(np.asarray(chords, dtype=np.float64) / 2.0, 0.0, 1.0)
    return np.asarray(2.0 * EARTH_MEAN_RADIUS_M * np.arcsin(half), dtype=np.float64)


def spherical_m_for_chord(chord: float) -> float:
    return 2.0 * EARTH_MEAN_RADIUS_M * math.asin(min(max(chord / 2.0, 0.0), 1.0))
