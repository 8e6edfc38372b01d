"""Settings of challenges; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class ChallengeSettings(BaseSettings):
    # How often the background worker retries rewards that could not be awarded yet.
    challenge_reward_retry_seconds: float = Field(default=30.0, gt=0)
    challenge_leaderboard_max: int = Field(default=100, ge=1, le=1000)
