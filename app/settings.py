"""Runtime configuration, read from environment variables (and an optional `.env`)."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob the service reads. Names are the environment variable names, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/cyberspace"
    redis_url: str = "redis://127.0.0.1:6379/0"
    db_pool_size: int = Field(default=10, ge=1, le=200)

    log_level: str = "INFO"
    log_json: bool = True

    # Nearby discovery limits: documented in README, enforced at the API edge.
    nearby_default_radius_m: float = Field(default=500.0, gt=0)
    nearby_max_radius_m: float = Field(default=50_000.0, gt=0)
    nearby_default_limit: int = Field(default=50, ge=1)
    nearby_max_limit: int = Field(default=200, ge=1)

    # The in-memory placement index also polls PostgreSQL this often, so a missed
    # Redis notification delays a change by at most this long instead of losing it.
    placement_index_poll_seconds: float = Field(default=5.0, gt=0)
    # Redis channel prefix; tests use their own to keep runs apart.
    redis_channel_prefix: str = "cyberspace"

    @property
    def placement_channel(self) -> str:
        return f"{self.redis_channel_prefix}:placements:changed"


@lru_cache
def get_settings() -> Settings:
    return Settings()
