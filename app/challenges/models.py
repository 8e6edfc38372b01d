"""ORM models of challenges: the challenge, and each participant's durable progress."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Uuid, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base


class Challenge(Base):
    __tablename__ = "challenges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(2000), default="")
    # checkpoints | dwell | collect
    kind: Mapped[str] = mapped_column(String(16))
    fence_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    ordered: Mapped[bool] = mapped_column(default=False)
    dwell_seconds: Mapped[int | None] = mapped_column(Integer)
    collect_count: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_participants: Mapped[int | None] = mapped_column(Integer)
    # {"name": ..., "metadata": {...}} handed to app.nfts award_nft on completion; NULL = none.
    reward: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def goal(self) -> int:
        if self.kind == "checkpoints":
            return len(self.fence_ids)
        if self.kind == "collect":
            return self.collect_count or 1
        return 1


class ChallengeParticipant(Base):
    __tablename__ = "challenge_participants"
    __table_args__ = (
        Index(
            "ix_challenge_participants_active_user",
            "user_id",
            postgresql_where=text("completed_at IS NULL"),
        ),
    )

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # Visited fence ids (checkpoints) / collected nft ids (collect), as strings.
    state: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    last_progress_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # none | pending | awarded
    reward_status: Mapped[str] = mapped_column(String(16), default="none")
    reward_nft_id: Mapped[str | None] = mapped_column(String(100))
    reward_error: Mapped[str | None] = mapped_column(String(500))
