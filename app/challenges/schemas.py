"""API models of challenges."""

import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RewardIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ChallengeIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    kind: Literal["checkpoints", "dwell", "collect"]
    fence_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    ordered: bool = False
    dwell_seconds: int | None = Field(default=None, ge=1, le=7 * 86400)
    collect_count: int | None = Field(default=None, ge=1, le=1000)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_participants: int | None = Field(default=None, ge=1)
    reward: RewardIn | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind == "dwell" and self.dwell_seconds is None:
            raise ValueError("a dwell challenge needs dwell_seconds")
        if self.kind == "collect" and self.collect_count is None:
            raise ValueError("a collect challenge needs collect_count")
        if self.kind == "checkpoints" and len(set(self.fence_ids)) != len(self.fence_ids):
            raise ValueError("checkpoints must be distinct fences")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ChallengeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    description: str
    kind: str
    fence_ids: list[uuid.UUID]
    ordered: bool
    dwell_seconds: int | None
    collect_count: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    max_participants: int | None
    reward: dict[str, Any] | None
    goal: int
    created_at: datetime


class ChallengeList(BaseModel):
    items: list[ChallengeOut]


class ParticipantOut(BaseModel):
    challenge_id: uuid.UUID
    user_id: uuid.UUID
    joined_at: datetime
    progress: int
    goal: int
    state: dict[str, Any]
    completed_at: datetime | None
    reward_status: str
    reward_nft_id: str | None


class LeaderboardEntry(BaseModel):
    rank: int
    user_id: uuid.UUID
    username: str
    progress: int
    goal: int
    completed_at: datetime | None


class LeaderboardOut(BaseModel):
    challenge_id: uuid.UUID
    goal: int
    items: list[LeaderboardEntry]
