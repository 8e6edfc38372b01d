"""Request and response models for placements and nearby discovery."""

from pydantic import BaseModel, Field

from app.placements.models import PlacementKind


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
