"""Settings of trading; mixed into app.settings.Settings (names are env var names)."""

from pydantic_settings import BaseSettings


class TradingSettings(BaseSettings):
    pass
