"""API models of webhooks."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal["geofence_enter", "geofence_exit", "geofence_dwell"]
ALL_EVENT_TYPES: list[EventType] = ["geofence_enter", "geofence_exit", "geofence_dwell"]


class WebhookIn(BaseModel):
    url: str = Field(min_length=8, max_length=2048)
    # Omit to have one generated (returned once, in the creation answer).
    secret: str | None = Field(default=None, min_length=16, max_length=128)
    event_types: list[EventType] = Field(
        default_factory=lambda: list(ALL_EVENT_TYPES), min_length=1
    )


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    fence_id: uuid.UUID
    owner_id: uuid.UUID
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str


class WebhookList(BaseModel):
    items: list[WebhookOut]


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
