"""ORM models for device sessions and their refresh tokens."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Device(enum.StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    VR = "vr"


class AuthSession(Base):
    """One logged-in device. Access tokens carry its id (`sid`), refresh tokens belong to it."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    device: Mapped[str] = mapped_column(String(8))
    device_label: Mapped[str | None] = mapped_column(String(64))
    auth_method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Updated on each refresh, so "last seen" is accurate to one access-token lifetime.
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(String(32))

    @property
    def owner_id(self) -> uuid.UUID:
        # Lets app.auth.permissions.ensure_owner check sessions like any owned object.
        return self.user_id


class RefreshToken(Base):
    """A refresh token, stored as its SHA-256 (it is 256 random bits, so no slow hash needed).

    Rows are kept after use (`spent_at`) so that presenting a spent one is recognised as
    theft and revokes the session.
    """

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    spent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
