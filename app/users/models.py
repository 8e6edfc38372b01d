"""ORM models for accounts and their linked wallets."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Role(enum.StrEnum):
    PLAYER = "player"
    ORGANIZER = "organizer"
    DEVELOPER = "developer"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # Case-insensitive uniqueness: "Alice" and "alice" are one name, and one mailbox.
        Index("uq_users_username_lower", func.lower(text("username")), unique=True),
        Index("uq_users_email_lower", func.lower(text("email")), unique=True),
        CheckConstraint("username ~ '^[A-Za-z0-9_]{3,32}$'", name="username_format"),
        CheckConstraint(
            "roles <@ ARRAY['player', 'organizer', 'developer', 'admin']::varchar[] "
            "AND cardinality(roles) > 0",
            name="known_roles",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Stored as typed; uniqueness is on lower(...) (functional indexes in migration 0002).
    username: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(64))
    bio: Mapped[str | None] = mapped_column(String(500))
    roles: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), server_default=text("'{player}'::varchar[]")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    def has_role(self, role: Role) -> bool:
        return role.value in self.roles

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)


class Wallet(Base):
    """An Ethereum address proven by a SIWE signature; one address, one account."""

    __tablename__ = "wallets"

    # Lower-case hex, so the primary key alone enforces "one address, one account".
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
