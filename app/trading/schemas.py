"""Request and response bodies of trading.

Prices are wei of the chain's native coin, as decimal strings in JSON: uint256 values do
not fit a JSON number that every client parses exactly.
"""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

MAX_UINT256 = 2**256 - 1

WeiOut = Annotated[int, PlainSerializer(str, return_type=str)]


class _PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price_wei: str = Field(
        description="Price in wei of the chain's native coin, a decimal string", max_length=78
    )

    @field_validator("price_wei")
    @classmethod
    def _decimal(cls, value: str) -> str:
        if not value.isascii() or not value.isdigit():
            raise ValueError("must be a decimal string of digits")
        if not 0 < int(value) <= MAX_UINT256:
            raise ValueError("must be between 1 and 2**256 - 1")
        return value

    @property
    def price(self) -> int:
        return int(self.price_wei)


class ListingIn(_PriceIn):
    nft_id: str = Field(min_length=1, max_length=64)


class OfferIn(_PriceIn):
    pass


class OfferOut(BaseModel):
    id: uuid.UUID
    listing_id: uuid.UUID
    buyer_id: uuid.UUID
    buyer_address: str
    price_wei: WeiOut
    status: str
    created_at: datetime
    closed_at: datetime | None


class TransferInstructions(BaseModel):
    """What the seller's wallet must do for a non-custodial sale to settle."""

    chain_id: int
    contract: str
    token_id: str
    standard: str
    amount: str
    from_address: str
    to_address: str


class ListingOut(BaseModel):
    id: uuid.UUID
    nft_id: str
    seller_id: uuid.UUID
    seller_address: str
    custodial: bool
    price_wei: WeiOut
    status: str
    cancel_reason: str | None
    accepted_offer_id: uuid.UUID | None
    buyer_id: uuid.UUID | None
    buyer_address: str | None
    transfer_tx_hash: str | None
    sale_tx_hash: str | None
    sale_block: int | None
    created_at: datetime
    closed_at: datetime | None
    # Set while awaiting the seller's own on-chain transfer.
    transfer: TransferInstructions | None = None


class ListingPage(BaseModel):
    items: list[ListingOut]
    next_cursor: str | None


class OfferList(BaseModel):
    items: list[OfferOut]
