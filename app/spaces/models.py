"""ORM models of spaces: the space, its members, invitations and 3D assets."""

import enum
import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import DateTime, Float, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class AccessType(enum.StrEnum):
    PUBLIC = "public"  # anyone may enter and join
    INVITE = "invite"  # visible to everyone; entering needs membership (by invitation)
    PRIVATE = "private"  # visible to members only; off the public map


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Space(Base):
    __tablename__ = "spaces"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(2000), server_default="")
    access_type: Mapped[str] = mapped_column(String(16))
    # The AR anchor; NULL for a purely virtual space (the seed's create call has no location).
    anchor: Mapped[WKBElement | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False)
    )
    altitude_m: Mapped[float | None] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    # Extent: a radius around the anchor, or a polygon (exactly one of them when anchored).
    radius_m: Mapped[float | None] = mapped_column(Float)
    extent: Mapped[WKBElement | None] = mapped_column(
        Geography("POLYGON", srid=4326, spatial_index=False)
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class SpaceMember(Base):
    __tablename__ = "space_members"

    space_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SpaceInvitation(Base):
    __tablename__ = "space_invitations"

    space_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    invitee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    inviter_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SpaceAsset(Base):
    __tablename__ = "space_assets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    space_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    model_url: Mapped[str] = mapped_column(String(2000))
    # {"position": [e, u, n] metres from the anchor, "rotation": [x, y, z, w], "scale": [...]}
    transform: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Optional link to an NFT (NFT-A's id, as text: no FK so assets outlive re-indexing).
    nft_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
