"""Hypothesis strategies for places on Earth, biased towards the awkward ones."""

import math

import h3.api.basic_int as h3
from hypothesis import strategies as st

from geo.geodesy import destination

latitudes = st.floats(-90.0, 90.0, allow_nan=False)
longitudes = st.floats(-180.0, 180.0, allow_nan=False)


@st.composite
def uniform_points(draw: st.DrawFn) -> tuple[float, float]:
    """Uniform over the sphere's area, not over the lat/lng rectangle."""
    z = draw(st.floats(-1.0, 1.0))
    return math.degrees(math.asin(z)), draw(longitudes)


@st.composite
def polar_points(draw: st.DrawFn) -> tuple[float, float]:
    lat = draw(st.floats(85.0, 90.0)) * draw(st.sampled_from([-1.0, 1.0]))
    return lat, draw(longitudes)


@st.composite
def antimeridian_points(draw: st.DrawFn) -> tuple[float, float]:
    lng = draw(st.floats(179.5, 180.0)) * draw(st.sampled_from([-1.0, 1.0]))
    return draw(st.floats(-80.0, 80.0)), lng


@st.composite
def near_pentagon_points(draw: st.DrawFn) -> tuple[float, float]:
    res = draw(st.integers(0, 15))
    pentagon = draw(st.sampled_from(h3.get_pentagons(res)))
    lat, lng = h3.cell_to_latlng(pentagon)
    edge_m = h3.average_hexagon_edge_length(res, unit="m")
    offset = draw(st.floats(0.0, 3.0 * edge_m))
    moved = destination(lat, lng, draw(st.floats(0.0, 360.0)), offset)
    return moved.lat, moved.lng


awkward_points = st.one_of(
    uniform_points(), polar_points(), antimeridian_points(), near_pentagon_points()
)


@st.composite
def log_uniform(draw: st.DrawFn, low: float, high: float) -> float:
    return math.exp(draw(st.floats(math.log(low), math.log(high))))
