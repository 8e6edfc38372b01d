"""Request and response bodies of claims."""

import uuid

from pydantic import BaseModel, ConfigDict, Field


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    # The phone's horizontal accuracy (68% radius, metres). Values above
    # CLAIM_MAX_ACCURACY_M are refused with `accuracy_too_poor`.
    accuracy_m: float = Field(ge=0, le=100_000)


class ClaimOut(BaseModel):
    message: str
    nft_id: str
    placement_id: uuid.UUID
    distance_m: float
    # Where the NFT went: the claimer's linked wallet, or the service wallet holding it in
    # custody for them (`custody: true`) until they link one.
    to_address: str
    custody: bool
    # None when no on-chain move was needed (custody to custody).
    tx_hash: str | None


class ReleasedOut(BaseModel):
    message: str
    nft_id: str
    to_address: str
    tx_hash: str
