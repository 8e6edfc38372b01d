"""ORM models of locations: last position, bounded history, per-fence state, the event log.

Fence ids are plain UUID columns without a foreign key to `geofences`: a fence's deletion is
handled by the service (players inside get an exit, state rows go), and the event log must
outlive the fence it talks about.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class PlayerPosition(Base):
    """The last accepted fix of a player (one row each); the lock that serialises a player."""

    __tablename__ = "player_positions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float] = mapped_column(Float)
    speed_mps: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    fix_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LocationHistory(Base):
    """Accepted fixes, the newest LOCATION_HISTORY_SIZE per player (older ones are pruned)."""

    __tablename__ = "location_history"
    __table_args__ = (Index("ix_location_history_user_fix", "user_id", "fix_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float] = mapped_column(Float)
    fix_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlayerFenceState(Base):
    """A player currently inside a fence (a row exists exactly while inside)."""

    __tablename__ = "player_fence_states"
    __table_args__ = (Index("ix_player_fence_states_fence_id", "fence_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    fence_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_fix_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dwell_fired: Mapped[bool] = mapped_column(Boolean, default=False)


class GeofenceEvent(Base):
    """The durable event log: every enter/exit/dwell, per fence and per player."""

    __tablename__ = "geofence_events"
    __table_args__ = (
        Index("ix_geofence_events_fence", "fence_id", "id"),
        Index("ix_geofence_events_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    type: Mapped[str] = mapped_column(String(32))
    fence_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float] = mapped_column(Float)
    fix_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Count of the fence's version the event was decided against (diagnostics).
    fence_version: Mapped[int] = mapped_column(Integer, default=0)
