"""Request and response models for geofences.

Geometry arrives as raw GeoJSON and is checked by `geo.polygons`, which says precisely what
is wrong (and where); a schema-level GeoJSON model would reject the same input with a
generic message.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.geofences.models import FenceKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Radius = Annotated[float, Field(gt=0, allow_inf_nan=False, description="Circle radius, metres")]
Dwell = Annotated[int, Field(ge=1, le=7 * 86400, description="Seconds inside before a dwell event")]
_FEATURE_FIELDS = (
    "name",
    "tags",
    "metadata",
    "radius_m",
    "active_from",
    "active_until",
    "dwell_seconds",
)


def _lift_feature(data: Any) -> Any:
    """A bare GeoJSON Feature as the body: its properties supply the other fields."""
    if isinstance(data, dict) and data.get("type") == "Feature":
        props = data.get("properties") or {}
        lifted: dict[str, Any] = {"geometry": data.get("geometry")}
        if isinstance(props, dict):
            lifted.update({k: props[k] for k in _FEATURE_FIELDS if k in props})
        return lifted
    if isinstance(data, dict) and isinstance(data.get("geometry"), dict):
        geometry = data["geometry"]
        if geometry.get("type") == "Feature":
            props = geometry.get("properties") or {}
            data = {**data, "geometry": geometry.get("geometry")}
            if isinstance(props, dict) and "radius_m" in props and "radius_m" not in data:
                data["radius_m"] = props["radius_m"]
    return data


class _Window(BaseModel):
    active_from: AwareDatetime | None = None
    active_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.active_from and self.active_until and self.active_from >= self.active_until:
            raise ValueError("active_from must be before active_until")
        return self


class GeofenceIn(_Window):
    """A new fence (POST) or a full replacement (PUT)."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    tags: list[Tag] = Field(default_factory=list, max_length=32)
    metadata: dict[str, Any] = Field(default_factory=dict)
    geometry: dict[str, Any] = Field(
        description="GeoJSON Polygon, MultiPolygon, or Point (a circle: give radius_m), "
        "or a Feature holding one"
    )
    radius_m: Radius | None = None
    dwell_seconds: Dwell | None = None

    @model_validator(mode="before")
    @classmethod
    def _feature(cls, data: Any) -> Any:
        return _lift_feature(data)


class GeofencePatch(_Window):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    tags: list[Tag] | None = Field(default=None, max_length=32)
    metadata: dict[str, Any] | None = None
    geometry: dict[str, Any] | None = None
    radius_m: Radius | None = None
    dwell_seconds: Dwell | None = None

    @model_validator(mode="before")
    @classmethod
    def _feature(cls, data: Any) -> Any:
        return _lift_feature(data)


class LatLngOut(BaseModel):
    lat: float
    lng: float


class GeofenceOut(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID | None
    name: str
    tags: list[str]
    metadata: dict[str, Any]
    kind: FenceKind
    geometry: dict[str, Any] = Field(description="As stored; a circle is its polygon")
    center: LatLngOut | None
    radius_m: float | None
    active_from: datetime | None
    active_until: datetime | None
    dwell_seconds: int | None
    version: int
    area_m2: float
    created_at: datetime
    updated_at: datetime


class GeofencePageOut(BaseModel):
    items: list[GeofenceOut]
    count: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same query) for the next page; null at the end"
    )
