"""Settings of geofences; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class GeofenceSettings(BaseSettings):
    # The engine re-reads changed fences this often even without a Redis poke.
    geofence_index_poll_seconds: float = Field(default=5.0, gt=0)
    # Fence rasters made in the background after a load, this many per event-loop turn (each
    # ~0.3 ms): the first lookups in a dense area then find them made. 0 turns this off.
    geofence_raster_warmup_batch: int = Field(default=16, ge=0, le=10_000)
    geofence_max_vertices: int = Field(default=2000, ge=4, le=100_000)
    geofence_min_area_m2: float = Field(default=1.0, gt=0)
    # ~ a 220 km square: a large region, far below a continent.
    geofence_max_area_m2: float = Field(default=5e10, gt=0)
    # Circles are stored as polygons with this many vertices on the geodesic circle; the
    # polygon lies inside the circle, at most radius * (1 - cos(pi / n)) from it.
    geofence_circle_segments: int = Field(default=128, ge=8, le=1024)
    geofence_page_max: int = Field(default=200, ge=1, le=1000)
