"""The organizer console and player map: HTML pages rendered with the page config, the
static files beside them, and the security headers that keep them from loading anything
from outside this service.
"""

import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.core.errors import NotFound
from app.settings import Settings

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
PAGES_DIR = HERE / "pages"
VENDOR_MANIFEST = STATIC_DIR / "vendor" / "manifest.json"
PAGES = ("console", "map")
STATIC_PREFIX = "/web"

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}


def vendor_ready() -> bool:
    return VENDOR_MANIFEST.is_file()


def page_config(settings: Settings) -> dict[str, Any]:
    """What the page scripts need to know; embedded in the page (no extra request)."""
    return {
        "tileUrl": settings.web_tile_url,
        "tileAttribution": settings.web_tile_attribution,
        "tileMaxZoom": settings.web_tile_max_zoom,
        "center": [settings.web_map_center_lat, settings.web_map_center_lng],
        "zoom": settings.web_map_zoom,
        "socketPath": settings.web_socketio_path,
        "static": STATIC_PREFIX,
    }


def tile_origin(tile_url: str) -> str | None:
    """`scheme://host[:port]` of the tile template (its `{s}` subdomains become a wildcard)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.replace("{s}.", "*.")
    return f"{parts.scheme}://{host}"


def security_headers(settings: Settings) -> dict[str, str]:
    """CSP: scripts, styles, fonts and connections from this origin only; images also from
    the configured tile server. The browser itself refuses anything else, so no page can
    load from the internet by accident (a CDN link, a library fetching a font)."""
    images = "'self' data: blob:"
    origin = tile_origin(settings.web_tile_url)
    if origin:
        images += f" {origin}"
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            # Leaflet and Geoman position elements with inline style attributes.
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            # 'self' covers ws:/wss: to this host in CSP Level 3 (the Socket.IO connection).
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def render_page(name: str, settings: Settings) -> str:
    if name not in PAGES:
        raise NotFound(f"No page {name!r}")
    template = (PAGES_DIR / f"{name}.html").read_text(encoding="utf-8")
    config = html.escape(json.dumps(page_config(settings)), quote=True)
    # Config last: its values (a tile URL template has braces) are never re-substituted.
    return template.replace("{{static}}", STATIC_PREFIX).replace("{{config}}", config)


def static_file(path: str) -> Path:
    """The file under static/ that `path` names; NotFound for anything outside it."""
    if not path or "\x00" in path:
        raise NotFound("No such file")
    candidate = (STATIC_DIR / path).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
        raise NotFound("No such file")
    if candidate.suffix not in CONTENT_TYPES:
        raise NotFound("No such file")
    return candidate


def content_type(path: Path) -> str:
    return CONTENT_TYPES[path.suffix]
