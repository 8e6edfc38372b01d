"""Geofence events as logged, published and sent to webhooks; pipelined publishing; metrics."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import Counter

from app.core.events import RealtimeEvent

LOCATION_UPDATES = Counter(
    "cyberspace_location_updates_total",
    "Location updates by outcome (accepted, or the rejection reason)",
    ["result"],
)
GEOFENCE_EVENTS = Counter(
    "cyberspace_geofence_events_total", "Geofence transitions logged, by type", ["type"]
)


@dataclass
class GeoEvent:
    """One enter/exit/dwell of one player at one fence."""

    type: str  # geofence_enter | geofence_exit | geofence_dwell
    fence_id: uuid.UUID
    fence_name: str
    owner_id: uuid.UUID | None
    fence_version: int
    user_id: uuid.UUID
    username: str
    lat: float
    lng: float
    accuracy_m: float
    fix_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def data(self) -> dict[str, Any]:
        return {
            "event_id": str(self.event_id),
            "fence_id": str(self.fence_id),
            "fence_name": self.fence_name,
            "user_id": str(self.user_id),
            "username": self.username,
            "lat": self.lat,
            "lng": self.lng,
            "accuracy_m": self.accuracy_m,
            "timestamp": self.fix_at.isoformat(),
            **self.extra,
        }

    def row(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "fence_id": self.fence_id,
            "user_id": self.user_id,
            "lat": self.lat,
            "lng": self.lng,
            "accuracy_m": self.accuracy_m,
            "fix_at": self.fix_at,
            "data": {"fence_name": self.fence_name, **self.extra},
            "fence_version": self.fence_version,
        }

    def realtime(self) -> RealtimeEvent:
        # The player, and the fence's owner for the organizer console (once if the same).
        audience = [str(self.user_id)]
        if self.owner_id is not None and self.owner_id != self.user_id:
            audience.append(str(self.owner_id))
        return RealtimeEvent(
            type=self.type, data=self.data(), user_ids=tuple(audience), event_id=self.event_id.hex
        )
