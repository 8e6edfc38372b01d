"""Request and response models for the auth endpoints."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth.models import Device

DeviceLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class TokenOut(BaseModel):
    """RFC 6749 section 5.1 access token response."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type, not a secret
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str | None = Field(
        default=None, description="Single use: each refresh returns a new one"
    )
    scope: str | None = None


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=200)


class SessionOut(BaseModel):
    id: uuid.UUID
    device: Device
    device_label: str | None
    auth_method: str
    created_at: datetime
    last_seen_at: datetime
    current: bool = Field(description="True for the session of the token making this request")


class NonceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "ab" * 20])


class NonceOut(BaseModel):
    nonce: str
    message: str = Field(description="The EIP-4361 message to sign with personal_sign")
    expires_at: datetime
    domain: str
    chain_id: int


class WalletVerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=4096)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")
    device: Device = Device.WEB
    device_label: DeviceLabel | None = None


class WalletLinkOut(BaseModel):
    address: str
    linked: Literal[True] = True
    wallets: list[str]


class WalletLoginOut(TokenOut):
    address: str
