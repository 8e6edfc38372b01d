"""API schemas of nfts (never ORM classes)."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class LatLngIn(BaseModel):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)


class PlaceIn(BaseModel):
    """The seed's body, plus optional fields."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=64, description="The caller's id or username")
    nft_id: str = Field(min_length=1, max_length=64)
    location: LatLngIn
    altitude_m: float | None = Field(default=None, ge=-12000, le=100000, allow_inf_nan=False)
    hint: str | None = Field(default=None, max_length=500)
    visible_from: AwareDatetime | None = None
    visible_until: AwareDatetime | None = None
    claim_radius_m: float | None = Field(default=None, gt=0, allow_inf_nan=False)


class PlaceOut(BaseModel):
    message: str
    location_id: str


class WithdrawOut(BaseModel):
    nft_id: str
    location_id: str
    state: str


class Attribute(BaseModel):
    model_config = ConfigDict(extra="allow")

    trait_type: str | None = None
    value: Any = None


class PlacementInfo(BaseModel):
    placement_id: uuid.UUID
    lat: float
    lng: float
    altitude_m: float | None
    hint: str | None
    visible_from: datetime | None
    visible_until: datetime | None
    claim_radius_m: float
    placed_by: uuid.UUID | None
    created_at: datetime


class OwnerOut(BaseModel):
    username: str | None
    address: str


class NftOut(BaseModel):
    id: str
    name: str
    description: str | None
    image: str | None
    attributes: list[dict[str, Any]]
    chain_id: int
    contract: str
    token_id: str = Field(description="uint256 as a decimal string")
    standard: str
    amount: int
    owner: OwnerOut | None
    in_custody: bool
    placed: bool
    placement: PlacementInfo | None


class InventoryItemOut(BaseModel):
    id: str
    name: str
    image: str | None
    attributes: list[dict[str, Any]]
    standard: str
    amount: int
    token_id: str
    in_custody: bool
    placed: bool
    placement_id: uuid.UUID | None


class InventoryOut(BaseModel):
    username: str
    items: list[InventoryItemOut]


class MintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nft_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    image: str | None = Field(default=None, max_length=2048)
    attributes: list[Attribute] = Field(default_factory=list, max_length=50)
    to_username: str | None = Field(default=None, description="Default: the caller")


class NearbyNftOut(BaseModel):
    nft_id: str
    name: str
    image: str | None
    attributes: list[dict[str, Any]] | Any
    standard: str
    amount: int
    placement_id: str
    lat: float
    lng: float
    altitude_m: float | None
    distance_m: float
    bearing_deg: float
    claim_radius_m: float
    hint: str | None
    visible_until: str | None


class NearbyNftPageOut(BaseModel):
    items: list[NearbyNftOut]
    count: int
    next_cursor: str | None
