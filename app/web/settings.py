"""Settings of web; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class WebSettings(BaseSettings):
    # Raster tile URL template for the pages' base map, e.g.
    # https://tile.openstreetmap.org/{z}/{x}/{y}.png. Empty (the default) means the offline
    # grid layer only: the pages then load nothing from outside this service. The tile
    # server's origin is added to the pages' Content-Security-Policy, nothing else is.
    web_tile_url: str = ""
    web_tile_attribution: str = ""
    web_tile_max_zoom: int = Field(default=19, ge=1, le=22)
    # Where the maps open (the demo's Marienplatz) until the player or organizer moves them.
    web_map_center_lat: float = Field(default=48.1371, ge=-90, le=90)
    web_map_center_lng: float = Field(default=11.5754, ge=-180, le=180)
    web_map_zoom: int = Field(default=16, ge=1, le=22)
    # Path the pages' socket.io-client connects to (python-socketio's default path).
    web_socketio_path: str = "/socket.io"
