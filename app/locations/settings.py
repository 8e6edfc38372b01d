"""Settings of locations; mixed into app.settings.Settings (names are env var names)."""

from pydantic_settings import BaseSettings


class LocationSettings(BaseSettings):
    pass
