"""Distances and bearings on the WGS84 ellipsoid, plus a fast spherical prefilter.

Conventions shared by every function: degrees in, metres out; bearings are initial azimuths,
0 = north, clockwise, in [0, 360); the bearing between identical points is 0.

Spherical error bound (why `SPHERICAL_REL_ERROR` is safe for ANY pair of points)
-------------------------------------------------------------------------------
`spherical_distances_m` treats geodetic (lat, lng) as coordinates on a sphere of radius
R = EARTH_MEAN_RADIUS_M. In those coordinates the sphere's line element is
R²(dφ² + cos²φ dλ²) and the ellipsoid's is M(φ)²dφ² + N(φ)²cos²φ dλ², where M and N are the
meridional and prime-vertical radii of curvature. For WGS84, min(M, N)/R = 0.99442 (M at the
equator) and max(M, N)/R = 1.00449 (at the poles), so every path's ellipsoidal length is within
[0.99442, 1.00449] times its spherical length. Distances are shortest path lengths, hence

    0.99442 * spherical <= geodesic <= 1.00449 * spherical

for every pair, antipodal ones included. `SPHERICAL_REL_ERROR` = 0.0075 leaves margin over the
0.56% of the analysis; `SPHERICAL_ABS_ERROR_M` absorbs floating point error (the haversine form
used is accurate to well under a millimetre at every distance).
"""

import math

import numpy as np
import numpy.typing as npt
from pyproj import Geod

from geo.coords import LatLng

FloatArray = npt.NDArray[np.float64]

GEOD = Geod(ellps="WGS84")

EARTH_MEAN_RADIUS_M = 6371008.8
SPHERICAL_REL_ERROR: float = 0.0075
SPHERICAL_ABS_ERROR_M: float = 0.01


def _normalize_bearing(azimuth: float) -> float:
    bearing = azimuth % 360.0
    # A tiny negative azimuth rounds to exactly 360.0 after the modulo; -0.0 is fine as 0.0.
    return 0.0 if bearing >= 360.0 or bearing == 0.0 else bearing


def _normalize_bearings(azimuths: FloatArray) -> FloatArray:
    bearings = np.mod(azimuths, 360.0)
    bearings[(bearings >= 360.0) | (bearings == 0.0)] = 0.0
    return bearings


def _normalize_lng(lng: float) -> float:
    if -180.0 <= lng <= 180.0:
        return lng
    return (lng + 180.0) % 360.0 - 180.0


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Geodesic distance in metres between two points."""
    _, _, dist = GEOD.inv(lng1, lat1, lng2, lat2)
    return float(dist)


def bearing_deg(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Initial bearing from point 1 towards point 2, in [0, 360)."""
    azimuth, _, dist = GEOD.inv(lng1, lat1, lng2, lat2)
    # pyproj reports 180 for coincident points; a direction to nowhere is defined as north.
    if dist == 0.0:
        return 0.0
    return _normalize_bearing(float(azimuth))


def distances_and_bearings(
    lat: float, lng: float, lats: FloatArray, lngs: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Geodesic distances (m) and initial bearings (deg) from one point to many, in one call."""
    lats = np.asarray(lats, dtype=np.float64)
    return pairwise_distances_and_bearings(
        np.full(lats.shape, float(lat)), np.full(lats.shape, float(lng)), lats, lngs
    )


def pairwise_distances_and_bearings(
    lats1: FloatArray, lngs1: FloatArray, lats2: FloatArray, lngs2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Geodesic distances (m) and initial bearings (deg) from each point 1 to its point 2."""
    lats2 = np.asarray(lats2, dtype=np.float64)
    if lats2.size == 0:
        return np.empty(lats2.shape), np.empty(lats2.shape)
    azimuths, _, dists = GEOD.inv(
        np.asarray(lngs1, dtype=np.float64),
        np.asarray(lats1, dtype=np.float64),
        np.asarray(lngs2, dtype=np.float64),
        lats2,
    )
    dists = np.asarray(dists, dtype=np.float64)
    bearings = _normalize_bearings(np.asarray(azimuths, dtype=np.float64))
    # pyproj reports 180 for coincident points; a direction to nowhere is defined as north.
    bearings[dists == 0.0] = 0.0
    return dists, bearings


def destination(lat: float, lng: float, bearing_deg: float, distance_m: float) -> LatLng:
    """The point `distance_m` along the geodesic leaving (lat, lng) at `bearing_deg`."""
    lng2, lat2, _ = GEOD.fwd(lng, lat, bearing_deg, distance_m)
    return LatLng(float(lat2), _normalize_lng(float(lng2)))


def spherical_distances_m(lat: float, lng: float, lats: FloatArray, lngs: FloatArray) -> FloatArray:
    """Great-circle distances on the mean-radius sphere (the haversine distance, computed in a
    better-conditioned form); see the module doc for the error bound against geodesics."""
    phi1 = math.radians(lat)
    phi2 = np.radians(np.asarray(lats, dtype=np.float64))
    dlam = np.radians(np.asarray(lngs, dtype=np.float64) - lng)
    sin1, cos1 = math.sin(phi1), math.cos(phi1)
    sin2, cos2 = np.sin(phi2), np.cos(phi2)
    cos_dlam = np.cos(dlam)
    # Vincenty's form for the sphere: well conditioned from coincident points to antipodes,
    # where haversine's sqrt(1 - h) keeps only half its digits (~0.1 m error).
    across = np.hypot(cos2 * np.sin(dlam), cos1 * sin2 - sin1 * cos2 * cos_dlam)
    along = sin1 * sin2 + cos1 * cos2 * cos_dlam
    return np.asarray(EARTH_MEAN_RADIUS_M * np.arctan2(across, along), dtype=np.float64)
