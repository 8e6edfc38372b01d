"""Request and response models for placements and nearby discovery."""

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.placements.models import PlacementKind


class NearbyQuery(BaseModel):
    """The query string of GET /api/nearby (validated as one model: cheaper than per field)."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    radius_m: float | None = Field(
        default=None, gt=0, allow_inf_nan=False, description="Default 500, max 50000"
    )
    limit: int | None = Field(default=None, ge=1, description="Default 50, max 200")
    kinds: str | None = Field(
        default=None, description="Comma-separated: nft, space, portal, marker"
    )
    cursor: str | None = Field(default=None, max_length=512)


class NearbyItemOut(BaseModel):
    id: str
    kind: PlacementKind
    title: str
    lat: float
    lng: float
    altitude_m: float | None = Field(description="Metres above the WGS84 ellipsoid, if known")
    distance_m: float = Field(description="Geodesic distance from the asking point, metres")
    bearing_deg: float = Field(
        ge=0, lt=360, description="Initial bearing from the asking point; 0 = north, clockwise"
    )


class NearbyPageOut(BaseModel):
    items: list[NearbyItemOut]
    count: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same query) for the next page; null at the end"
    )


Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Altitude = Annotated[
    float,
    Field(ge=-12000, le=100000, allow_inf_nan=False, description="Metres above WGS84 ellipsoid"),
]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PlacementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: PlacementKind
    title: Title
    lat: Latitude
    lng: Longitude
    altitude_m: Altitude | None = None


class PlacementPatch(BaseModel):
    """Only the fields sent change; `lat` and `lng` move the placement and come together."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    altitude_m: Altitude | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng move the placement together: send both")
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null")
        return self


class PlacementOut(BaseModel):
    id: uuid.UUID
    kind: PlacementKind
    title: str
    lat: float
    lng: float
    altitude_m: float | None
    active: bool
    owner_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
