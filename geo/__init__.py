"""Pure geometry for CyberSpace: validation, WGS84 geodesy, H3 indexing and covers.

Imports only the standard library, numpy, shapely, h3 and pyproj, so it can be tested and
reused without the web app or a database.
"""

from geo.coords import LatLng, validate_lat_lng
from geo.cover import PolygonCover, polygon_cover, resolution_for_polygon
from geo.errors import GeoError, InvalidCoordinate, InvalidGeometry
from geo.geodesy import (
    EARTH_MEAN_RADIUS_M,
    SPHERICAL_ABS_ERROR_M,
    SPHERICAL_REL_ERROR,
    bearing_deg,
    destination,
    distance_m,
    distances_and_bearings,
    spherical_distances_m,
)
from geo.h3cells import (
    INDEX_RESOLUTION,
    cell_of,
    cells_of,
    circle_cover,
    cover_ranges,
    descendant_range,
    resolution_for_radius,
)
from geo.polygons import circle_polygon, geodesic_area_m2, polygon_from_geojson

__all__ = [
    "EARTH_MEAN_RADIUS_M",
    "INDEX_RESOLUTION",
    "SPHERICAL_ABS_ERROR_M",
    "SPHERICAL_REL_ERROR",
    "GeoError",
    "InvalidCoordinate",
    "InvalidGeometry",
    "LatLng",
    "PolygonCover",
    "bearing_deg",
    "cell_of",
    "cells_of",
    "circle_cover",
    "circle_polygon",
    "cover_ranges",
    "descendant_range",
    "destination",
    "distance_m",
    "distances_and_bearings",
    "geodesic_area_m2",
    "polygon_cover",
    "polygon_from_geojson",
    "resolution_for_polygon",
    "resolution_for_radius",
    "spherical_distances_m",
    "validate_lat_lng",
]
