"""ORM models of claims: every claim attempt, kept as proof-of-presence history.

Attempts are also the claim flow's own record of where a player said they were: the next
claim's teleport check compares against the newest attempt whose position was trusted.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class ClaimOutcome(enum.StrEnum):
    CLAIMED = "claimed"
    TOO_FAR = "too_far"
    INACCURATE = "inaccurate"
    TELEPORT = "teleport"
    OWN_PLACEMENT = "own_placement"
    NOT_PLACED = "not_placed"
    ALREADY_CLAIMED = "already_claimed"
    NOT_VISIBLE = "not_visible"
    LOST_RACE = "lost_race"
    CHAIN_FAILED = "chain_failed"


class ClaimAttempt(Base):
    __tablename__ = "claim_attempts"
    __table_args__ = (
        Index("ix_claim_attempts_user_recent", "user_id", "created_at"),
        # The database's own guarantee of "exactly one winner" per placement, under the
        # row lock the claim flow takes anyway.
        Index(
            "uq_claim_attempts_winner",
            "placement_id",
            unique=True,
            postgresql_where=text("outcome = 'claimed'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    nft_id: Mapped[str] = mapped_column(ForeignKey("nfts.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("placements.id", ondelete="SET NULL")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(16))
    # True when the position passed the accuracy and motion checks, so later checks may
    # compare against it (a refused teleport must not become the new "last position").
    trusted_position: Mapped[bool] = mapped_column(Boolean)
    distance_m: Mapped[float | None] = mapped_column(Float)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
