"""Settings of locations; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class LocationSettings(BaseSettings):
    # Updates per POST /api/locations (or per Socket.IO location_update call).
    location_max_batch: int = Field(default=100, ge=1, le=1000)
    # A fix may be this far ahead of the server clock (phones' clocks drift).
    location_max_future_skew_s: float = Field(default=30.0, ge=0)
    # Older fixes are refused: a buffered offline batch older than this is history, not position.
    location_max_age_s: float = Field(default=3600.0, gt=0)
    # Teleport limit: ~300 km/h covers cars and fast trains; planes are not a use case.
    location_max_speed_mps: float = Field(default=85.0, gt=0)
    # Worse fixes are refused (cell-tower fixes would make every border ambiguous).
    location_max_accuracy_m: float = Field(default=500.0, gt=0)
    # Accepted fixes kept per player (challenges and support look at recent movement).
    location_history_size: int = Field(default=100, ge=1, le=10_000)
    # Hysteresis margin = clamp(accuracy_m * factor, min, max): a fix must be this far inside
    # a fence to enter and this far outside to exit, so jitter on a border never flaps.
    location_margin_factor: float = Field(default=1.0, ge=0)
    location_margin_min_m: float = Field(default=5.0, ge=0)
    location_margin_max_m: float = Field(default=50.0, ge=0)
    # Dwell events also fire for players who stopped sending updates inside a fence (a
    # phone lying still): a sweep every this many seconds (0: only on updates) fires the
    # dwells that are due, for players whose last accepted fix is at most
    # location_dwell_stale_s old (older ones are not known to still be there).
    location_dwell_sweep_seconds: float = Field(default=10.0, ge=0)
    location_dwell_stale_s: float = Field(default=300.0, gt=0)
    location_dwell_sweep_batch: int = Field(default=500, ge=1, le=10_000)
