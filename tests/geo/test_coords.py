import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo import GeoError, InvalidCoordinate, InvalidGeometry, LatLng, validate_lat_lng


def test_valid_pair_is_returned_as_floats() -> None:
    point = validate_lat_lng(48, 11)
    assert point == LatLng(48.0, 11.0)
    assert type(point.lat) is float
    assert type(point.lng) is float


@pytest.mark.parametrize(("lat", "lng"), [(90, 180), (-90, -180), (0.0, -0.0), (90.0, 0.0)])
def test_range_limits_are_inclusive(lat: float, lng: float) -> None:
    assert validate_lat_lng(lat, lng) == LatLng(float(lat), float(lng))


def test_numpy_scalars_are_accepted() -> None:
    assert validate_lat_lng(np.float64(1.5), np.int64(2)) == LatLng(1.5, 2.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lat", "lng", "field", "reason"),
    [
        (math.nan, 0.0, "lat", "must be finite"),
        (0.0, math.nan, "lng", "must be finite"),
        (math.inf, 0.0, "lat", "must be finite"),
        (0.0, -math.inf, "lng", "must be finite"),
        (90.0001, 0.0, "lat", "must be between -90 and 90"),
        (-91, 0.0, "lat", "must be between -90 and 90"),
        (0.0, 180.5, "lng", "must be between -180 and 180"),
        (0.0, -181, "lng", "must be between -180 and 180"),
        (True, 0.0, "lat", "must be a number"),
        (0.0, False, "lng", "must be a number"),
        ("1.0", 0.0, "lat", "must be a number"),
        (0.0, None, "lng", "must be a number"),
    ],
)
def test_bad_values_name_the_field(lat: object, lng: object, field: str, reason: str) -> None:
    with pytest.raises(InvalidCoordinate) as caught:
        validate_lat_lng(lat, lng)  # type: ignore[arg-type]
    err = caught.value
    assert err.code == "invalid_coordinate"
    assert err.details["field"] == field
    assert err.details["reason"] == reason
    assert field in err.message


def test_out_of_range_value_is_reported() -> None:
    with pytest.raises(InvalidCoordinate) as caught:
        validate_lat_lng(91.0, 0.0)
    assert caught.value.details == {
        "field": "lat",
        "value": 91.0,
        "reason": "must be between -90 and 90",
    }


def test_custom_field_names_are_used() -> None:
    with pytest.raises(InvalidCoordinate) as caught:
        validate_lat_lng(0.0, 200.0, lat_field="center.lat", lng_field="center.lng")
    assert caught.value.details["field"] == "center.lng"


def test_error_hierarchy() -> None:
    assert issubclass(InvalidCoordinate, GeoError)
    assert issubclass(InvalidGeometry, GeoError)
    assert issubclass(GeoError, ValueError)
    err = InvalidGeometry("bad", {"reason": "x"})
    assert (err.code, err.message, err.details, str(err)) == (
        "invalid_geometry",
        "bad",
        {"reason": "x"},
        "bad",
    )
    assert GeoError("plain").details == {}


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_every_in_range_pair_round_trips(lat: float, lng: float) -> None:
    assert validate_lat_lng(lat, lng) == LatLng(lat, lng)


@given(st.floats().filter(lambda x: not -90 <= x <= 90))
def test_every_out_of_range_latitude_is_refused(lat: float) -> None:
    with pytest.raises(InvalidCoordinate):
        validate_lat_lng(lat, 0.0)
