"""ORM model of geofences. Geometry columns live here and nowhere else."""

import enum
import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class FenceKind(enum.StrEnum):
    POLYGON = "polygon"
    CIRCLE = "circle"


class Geofence(Base):
    __tablename__ = "geofences"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default=text("'{}'"))
    # `metadata` is reserved by SQLAlchemy's declarative base; the column keeps the API name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default=text("'{}'"))
    kind: Mapped[str] = mapped_column(String(16))
    # Planar lng/lat on geometry(4326): "inside" is ST_Covers on this, which the engine
    # reproduces exactly. Circles are stored as their polygon (see app/geofences/service.py).
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))
    center_lat: Mapped[float | None] = mapped_column(Float)
    center_lng: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    area_m2: Mapped[float] = mapped_column(Float)
    active_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dwell_seconds: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # Soft delete: event logs and challenges keep pointing at a deleted fence.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The H3 cover, stored so that start-up never recomputes it: little-endian uint64 cells,
    # interior compacted (all wholly inside), boundary at cover_res (need an exact test).
    cover_res: Mapped[int] = mapped_column(SmallInteger)
    cover_interior: Mapped[bytes] = mapped_column(LargeBinary)
    cover_boundary: Mapped[bytes] = mapped_column(LargeBinary)
    # The shard key of docs/SCALING.md: the resolution-3 cell of the centroid.
    shard_cell: Mapped[int] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    change_xid: Mapped[int] = mapped_column(BigInteger, server_default="0")
