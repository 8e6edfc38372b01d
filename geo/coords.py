"""Validated latitude/longitude pairs."""

import math
import numbers
from dataclasses import dataclass

from geo.errors import InvalidCoordinate


@dataclass(frozen=True, slots=True)
class LatLng:
    lat: float
    lng: float


def _checked(value: object, field: str, limit: float) -> float:
    # bool is an int subclass; `True` as a latitude is always a client bug, never 1.0.
    # numbers.Real also admits numpy scalars, which arrive from vectorized callers.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidCoordinate(
            f"{field} must be a number",
            {"field": field, "value": repr(value), "reason": "must be a number"},
        )
    number = float(value)
    if not math.isfinite(number):
        raise InvalidCoordinate(
            f"{field} must be finite",
            # NaN/inf are not valid JSON, so the offending value is reported as text.
            {"field": field, "value": repr(number), "reason": "must be finite"},
        )
    if not -limit <= number <= limit:
        reason = f"must be between -{limit:g} and {limit:g}"
        raise InvalidCoordinate(
            f"{field} {reason}", {"field": field, "value": number, "reason": reason}
        )
    return number


def validate_lat_lng(
    lat: float, lng: float, *, lat_field: str = "lat", lng_field: str = "lng"
) -> LatLng:
    """Return the pair as floats, or raise InvalidCoordinate naming the offending field.

    Accepts ints, floats and numpy real scalars; refuses bools, NaN and infinities.
    """
    return LatLng(_checked(lat, lat_field, 90.0), _checked(lng, lng_field, 180.0))
