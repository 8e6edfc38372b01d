"""Settings of claims; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class ClaimsSettings(BaseSettings):
    # Fixes reporting a worse accuracy (metres, the phone's 68% radius) are refused: the
    # accuracy is counted in the player's favour (distance - accuracy <= claim radius), so
    # this caps the slack a spoofed "accuracy" can buy.
    claim_max_accuracy_m: float = Field(default=50.0, gt=0, le=1000)
    # Teleport limit: the slowest speed (m/s) that explains the move from the player's last
    # trusted position (last accepted location update, last trusted claim attempt) to this
    # claim, after both fixes' accuracy is subtracted. 55 m/s ~ 200 km/h: a fast train or a
    # motorway, not a plane; after a flight the player waits until the implied speed drops.
    claim_max_speed_mps: float = Field(default=55.0, gt=0)
    # Two fixes closer in time than this are judged as this far apart (no division by ~0).
    claim_min_interval_s: float = Field(default=1.0, gt=0)
