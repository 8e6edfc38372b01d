"""Settings of trading; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class TradingSettings(BaseSettings):
    # Browse page sizes for GET /api/listings.
    trading_default_limit: int = Field(default=50, ge=1)
    trading_max_limit: int = Field(default=200, ge=1)
    # Open offers one listing may collect (a spam bound; each buyer has at most one open).
    trading_max_open_offers: int = Field(default=100, ge=1)
