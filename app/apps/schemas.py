"""Request and response models for developer apps."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.auth.scopes import SCOPES

AppName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class AppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: AppName = Field(examples=["NovaProtocol plugin"])
    scopes: list[str] = Field(min_length=1, examples=[["nearby:read", "placements:write"]])

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - SCOPES.keys())
        if unknown:
            raise ValueError(f"unknown scope(s) {unknown}; known: {sorted(SCOPES)}")
        return sorted(set(value))


class AppOut(BaseModel):
    id: uuid.UUID
    name: str
    client_id: str
    scopes: list[str]
    created_at: datetime


class AppCredentialsOut(AppOut):
    client_secret: str = Field(description="Shown once; only its hash is stored")
