"""Settings of spaces; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class SpaceSettings(BaseSettings):
    # Every process re-checks its sockets' right to be in their spaces this often (0: never),
    # besides the immediate re-check after a membership or access change. A safety net for
    # changes it could not hear about (see app/realtime/evictions.py).
    space_access_recheck_seconds: float = Field(default=60.0, ge=0)
