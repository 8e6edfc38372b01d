"""Request and response models for spaces."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.spaces.models import AccessType

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Altitude = Annotated[float, Field(ge=-12000, le=100000, allow_inf_nan=False)]
Heading = Annotated[float, Field(ge=0, lt=360, allow_inf_nan=False)]
Radius = Annotated[float, Field(gt=0, le=50_000, allow_inf_nan=False)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Description = Annotated[str, StringConstraints(max_length=2000)]
UserRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="A user's id (UUID) or username"),
]


class AnchorFields(BaseModel):
    """Where an AR client puts the space: the anchor point, and its extent."""

    lat: Latitude | None = None
    lng: Longitude | None = None
    altitude_m: Altitude | None = None
    heading_deg: Heading | None = Field(default=None, description="0 = north, clockwise")
    radius_m: Radius | None = None
    polygon: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng anchor the space together: send both")
        if self.radius_m is not None and self.polygon is not None:
            raise ValueError("the extent is radius_m or polygon, not both")
        return self


class SpaceCreateIn(AnchorFields):
    """The seed's shape plus optional anchor fields."""

    model_config = ConfigDict(extra="forbid")
    user_id: UserRef
    space_name: Name
    description: Description = ""
    access_type: AccessType = AccessType.PUBLIC

    @model_validator(mode="after")
    def _extent_needs_anchor(self) -> Self:
        if self.lat is None and (self.radius_m is not None or self.polygon is not None):
            raise ValueError("an extent needs an anchor (lat, lng)")
        return self


class SpaceCreatedOut(BaseModel):
    message: str = "Space created successfully"
    space_id: str


class SpacePatch(AnchorFields):
    """Only the fields sent change. Sending lat/lng moves the anchor."""

    model_config = ConfigDict(extra="forbid")
    space_name: Name | None = None
    description: Description | None = None
    access_type: AccessType | None = None


class AnchorOut(BaseModel):
    lat: float
    lng: float
    altitude_m: float | None
    heading_deg: float | None


class SpaceOut(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    space_name: str
    description: str
    access_type: AccessType
    anchor: AnchorOut | None
    extent: dict[str, Any] | None = Field(description='{"radius_m": r} or {"polygon": GeoJSON}')
    member_count: int
    is_member: bool
    can_enter: bool
    created_at: datetime
    updated_at: datetime
    distance_m: float | None = None


class SpaceListOut(BaseModel):
    items: list[SpaceOut]
    count: int


class MemberOut(BaseModel):
    user_id: uuid.UUID
    username: str
    role: str
    joined_at: datetime


class MemberListOut(BaseModel):
    items: list[MemberOut]
    count: int


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: UserRef


class InvitationOut(BaseModel):
    space_id: uuid.UUID
    space_name: str
    invitee_id: uuid.UUID
    inviter_id: uuid.UUID | None
    status: str
    created_at: datetime


class InvitationListOut(BaseModel):
    items: list[InvitationOut]
    count: int


Vec3 = Annotated[
    list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=3, max_length=3)
]
Quat = Annotated[
    list[Annotated[float, Field(allow_inf_nan=False)]], Field(min_length=4, max_length=4)
]


class Transform(BaseModel):
    """Relative to the anchor: position in metres east, up, north; rotation a quaternion."""

    model_config = ConfigDict(extra="forbid")
    position: Vec3 = Field(default_factory=lambda: [0.0, 0.0, 0.0])
    rotation: Quat = Field(default_factory=lambda: [0.0, 0.0, 0.0, 1.0])
    scale: Vec3 = Field(default_factory=lambda: [1.0, 1.0, 1.0])

    @model_validator(mode="after")
    def _sane(self) -> Self:
        if any(abs(v) > 10_000 for v in self.position):
            raise ValueError("position must stay within 10 km of the anchor")
        if not 0.5 < sum(v * v for v in self.rotation) ** 0.5 < 1.5:
            raise ValueError("rotation must be a unit quaternion [x, y, z, w]")
        if any(not 0 < v <= 10_000 for v in self.scale):
            raise ValueError("scale factors must be in (0, 10000]")
        return self


ModelUrl = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=9, max_length=2000, pattern=r"^https://\S+$"
    ),
]


class AssetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    model_url: ModelUrl = Field(description="https URL of a glTF (.gltf/.glb) model")
    transform: Transform = Field(default_factory=Transform)
    nft_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class AssetOut(BaseModel):
    id: uuid.UUID
    space_id: uuid.UUID
    name: str
    model_url: str
    transform: dict[str, Any]
    nft_id: str | None
    created_at: datetime


class AssetListOut(BaseModel):
    items: list[AssetOut]
    count: int
