"""Settings of portals; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class PortalSettings(BaseSettings):
    # A pass only has to survive the hop into the external game, so it is short-lived.
    portal_pass_seconds: int = Field(default=120, ge=10, le=3600)
    # The pass's audience: external games check it, and access-token verification rejects it.
    portal_pass_audience: str = "novaprotocol"  # noqa: S105
