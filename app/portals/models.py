"""ORM model of NovaProtocol portals."""

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import Boolean, DateTime, Float, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Portal(Base):
    __tablename__ = "portals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # https URL or an app deep link (scheme://...) of the external game.
    game_url: Mapped[str] = mapped_column(String(2000))
    # NULL = open to everyone; otherwise {"nft_id": ...}: an NFT registry id (app.nfts).
    required_nft: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # Inside a space (its access rules apply too) or standalone.
    space_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    location: Mapped[WKBElement] = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    altitude_m: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
