"""Request and response models for accounts. Requests forbid unknown fields, so a client
cannot slip `roles` or `is_active` into a profile update (mass assignment)."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from app.users.models import Role

USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,32}$"
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
# Long passphrases welcome; the cap keeps one request from costing a lot of hashing input.
Password = Annotated[str, StringConstraints(min_length=10, max_length=256)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Bio = Annotated[str, StringConstraints(max_length=500)]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_Strict):
    username: Username = Field(examples=["PlayerTwo"])
    email: Email
    password: Password


class ProfilePatch(_Strict):
    display_name: DisplayName | None = None
    bio: Bio | None = None
    email: Email | None = None


class RolesIn(_Strict):
    roles: list[Role] = Field(min_length=1, examples=[["player", "organizer"]])


class ActiveIn(_Strict):
    active: bool = Field(examples=[False])


class AccountStatusOut(BaseModel):
    username: str
    active: bool
    # Device sessions ended by this change (a disabled account's tokens stop at once).
    sessions_revoked: int


class PublicUserOut(BaseModel):
    username: str
    display_name: str | None
    bio: str | None
    roles: list[Role]
    created_at: datetime


class UserOut(PublicUserOut):
    id: uuid.UUID
    email: str
    wallets: list[str] = Field(description="Linked Ethereum addresses (EIP-55 checksummed)")
