"""Request and response models for portals."""

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# An https URL or an app deep link (`novagame://portal/...`): a scheme and something after it.
GameUrl = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=4,
        max_length=2000,
        pattern=r"^[a-z][a-z0-9+.-]*://\S+$",
    ),
]
NftId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class RequiredNft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nft_id: NftId = Field(description="The NFT registry id (e.g. nft-weapon-01) a player must hold")


class PortalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    game_url: GameUrl
    required_nft: RequiredNft | None = None
    space_id: uuid.UUID | None = Field(default=None, description="Place it inside this space")
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)] | None = None
    lng: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)] | None = None
    altitude_m: Annotated[float, Field(ge=-12000, le=100000, allow_inf_nan=False)] | None = None

    @field_validator("game_url")
    @classmethod
    def _safe_scheme(cls, value: str) -> str:
        # https or an app's own deep-link scheme; never plain http or script-ish schemes.
        if value.split(":", 1)[0] in {"http", "javascript", "data", "file", "vbscript", "blob"}:
            raise ValueError("game_url must be an https URL or an app deep link")
        return value

    @model_validator(mode="after")
    def _located(self) -> Self:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat and lng come together")
        if self.lat is None and self.space_id is None:
            raise ValueError("a portal needs a location (lat, lng) or a space_id")
        return self


class PortalOut(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    game_url: str
    required_nft: RequiredNft | None
    space_id: uuid.UUID | None
    lat: float
    lng: float
    altitude_m: float | None
    active: bool
    created_at: datetime
    distance_m: float | None = None


class PortalListOut(BaseModel):
    items: list[PortalOut]
    count: int


class PortalPassOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    pass_: str = Field(alias="pass", description="ES256 JWT (typ nova-pass+jwt); verify with JWKS")
    token_type: str = "nova-pass"  # noqa: S105
    expires_in: int
    portal_id: uuid.UUID
    game_url: str
    jwks_uri: str = "/.well-known/jwks.json"
