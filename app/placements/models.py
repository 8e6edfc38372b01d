"""ORM model for placements. Geometry columns live here and nowhere else."""

import enum
import uuid
from datetime import datetime

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class PlacementKind(enum.StrEnum):
    NFT = "nft"
    SPACE = "space"
    PORTAL = "portal"
    MARKER = "marker"


class Placement(Base):
    __tablename__ = "placements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    location: Mapped[WKBElement] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    altitude_m: Mapped[float | None] = mapped_column(Float)
    # Resolution-15 H3 cell: descendants of any coarser cell form one contiguous integer
    # range, so this one B-tree column serves cell lookups at every resolution.
    h3_cell: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who may edit or withdraw it. NULL only for rows from before accounts existed; every
    # placement created through the API has an owner.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # Set by a trigger to the writing transaction's id; in-memory indexes follow changes
    # by it (see app/placements/queries.py).
    change_xid: Mapped[int] = mapped_column(BigInteger, server_default="0")
