"""API models of location updates."""

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class LocationUpdateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float = Field(default=10.0, ge=0, le=100_000, allow_inf_nan=False)
    # ISO 8601 or Unix seconds; None = the time the server received it.
    timestamp: datetime | None = None
    speed_mps: float | None = Field(default=None, ge=0, le=10_000, allow_inf_nan=False)
    heading_deg: float | None = Field(default=None, ge=0, le=360, allow_inf_nan=False)
    seq: int | None = Field(default=None, ge=0)

    @field_validator("timestamp", mode="before")
    @classmethod
    def _parse_timestamp(cls, value: Any) -> Any:
        # Numbers are Unix SECONDS (pydantic alone would read large ones as milliseconds).
        if isinstance(value, bool):
            raise ValueError("timestamp must be ISO 8601 or Unix seconds")
        if isinstance(value, int | float):
            if not (0 <= value < 32_503_680_000):  # year 3000
                raise ValueError("timestamp out of range (Unix seconds expected)")
            return datetime.fromtimestamp(value, tz=UTC)
        return value

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class LocationBatchIn(BaseModel):
    updates: list[LocationUpdateIn] = Field(min_length=1)


RejectReason = Literal["future", "too_old", "duplicate", "out_of_order", "too_fast", "inaccurate"]


class EventOut(BaseModel):
    type: str
    event_id: str
    fence_id: str | None = None
    fence_name: str | None = None
    challenge_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class UpdateResult(BaseModel):
    index: int
    accepted: bool
    reason: RejectReason | None = None
    events: list[EventOut] = Field(default_factory=list)


class LocationBatchOut(BaseModel):
    accepted: int
    rejected: int
    results: list[UpdateResult]


class PositionOut(BaseModel):
    lat: float
    lng: float
    accuracy_m: float
    timestamp: datetime
    fence_ids: list[uuid.UUID]


class GeofenceEventOut(BaseModel):
    id: int
    event_id: uuid.UUID
    type: str
    fence_id: uuid.UUID
    user_id: uuid.UUID
    lat: float
    lng: float
    accuracy_m: float
    timestamp: datetime
    data: dict[str, Any]


class GeofenceEventPage(BaseModel):
    items: list[GeofenceEventOut]
