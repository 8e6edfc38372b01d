"""Settings of spaces; mixed into app.settings.Settings (names are env var names)."""

from pydantic_settings import BaseSettings


class SpaceSettings(BaseSettings):
    pass
