"""Settings of the real-time server; mixed into app.settings.Settings (names are env vars)."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings


class RealtimeSettings(BaseSettings):
    # "redis": python-socketio's AsyncRedisManager on REDIS_URL, so every process reaches
    # every socket (scale-out). "memory": the in-process manager, for a single process.
    socketio_manager: Literal["redis", "memory"] = "redis"
    # Origins allowed to open a Socket.IO connection from a browser; empty = same origin only.
    socketio_cors_origins: list[str] = Field(default_factory=list)
    # new_nft goes to players whose last position is within this distance of the placement.
    new_nft_radius_m: float = Field(default=1000.0, gt=0, le=50_000)
    # proximity_alert fires when an object comes within this distance, once per approach:
    # it re-arms only after the player is beyond radius * factor (hysteresis against jitter).
    proximity_alert_radius_m: float = Field(default=100.0, gt=0, le=5_000)
    proximity_rearm_factor: float = Field(default=1.5, gt=1.0, le=10.0)
    # Objects considered per update; a denser spot alerts the nearest this many.
    proximity_max_objects: int = Field(default=200, ge=1, le=5_000)
    # Positions older than this no longer count for new_nft (players who went away).
    realtime_position_ttl_seconds: int = Field(default=3600, ge=10)
    # H3 resolution of the per-cell rooms (8: ~0.74 km² cells, ~460 m edge).
    realtime_cell_resolution: int = Field(default=8, ge=0, le=15)
    # Stream consumer: block this long per read; reclaim entries a dead consumer left
    # pending for longer than realtime_claim_idle_ms.
    realtime_read_block_ms: int = Field(default=1000, ge=10)
    realtime_read_count: int = Field(default=20, ge=1, le=10_000)
    realtime_claim_idle_ms: int = Field(default=30_000, ge=100)
    # Stream entries older than this are acknowledged without being sent (stale alerts).
    realtime_max_event_age_s: float = Field(default=120.0, gt=0)
    # Socket.IO location updates are ingested in batches (one transaction each): a batch
    # waits this long after its first update for more, then takes everything queued (up to
    # batch_max); this many batches run at once (more means smaller batches, and each batch
    # has a fixed cost: one was measured best on this project's 2-core box).
    realtime_location_linger_ms: float = Field(default=5.0, ge=0, le=100)
    realtime_location_batch_max: int = Field(default=500, ge=1, le=5_000)
    realtime_location_workers: int = Field(default=1, ge=1, le=16)
    # (realtime_read_count above: stream entries per read. An entry of accepted fixes holds a
    # whole ingest batch, so reads stay small to keep each turn of the event loop short.)
