"""The pages and their static files as served (no browser): headers, config, no CDN."""

import re
from pathlib import Path

import pytest
from httpx import AsyncClient

from app.web import pages

STATIC = pages.STATIC_DIR
OUR_SOURCES = [
    *sorted((pages.PAGES_DIR).glob("*.html")),
    *sorted(STATIC.glob("*.js")),
    *sorted(STATIC.glob("*.css")),
]
# Anything that would make a browser fetch from another origin.
REMOTE_REF = re.compile(
    r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import"""
)


@pytest.mark.parametrize("path", ["/console", "/map"])
async def test_page_is_served_with_its_config_and_csp(client: AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "connect-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert 'name="cyberspace-config"' in response.text
    assert "{{" not in response.text
    # Every script and stylesheet the page names is served by this service.
    for ref in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        assert ref.startswith("/web/"), ref
        asset = await client.get(ref)
        assert asset.status_code == 200, ref


def test_sources_reference_no_other_origin() -> None:
    assert OUR_SOURCES, "page sources missing"
    for source in OUR_SOURCES:
        assert not REMOTE_REF.search(source.read_text()), source


def test_vendor_build_is_present() -> None:
    assert pages.vendor_ready(), "run scripts/run.d/40-web.sh"
    for name in (
        "leaflet/leaflet.js",
        "leaflet/leaflet.css",
        "geoman/leaflet-geoman.min.js",
        "socket.io/socket.io.min.js",
    ):
        assert (STATIC / "vendor" / name).is_file(), name


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/web/common.js", "text/javascript"),
        ("/web/styles.css", "text/css"),
        ("/web/vendor/leaflet/images/marker-icon.png", "image/png"),
    ],
)
async def test_static_files(client: AsyncClient, path: str, content_type: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)


@pytest.mark.parametrize(
    "path",
    [
        "/web/../settings.py",
        "/web/%2e%2e/settings.py",
        "/web/..%2fsettings.py",
        "/web/../../app/settings.py",
        "/web/vendor/manifest.missing",
        "/web/",
        "/web/vendor",
    ],
)
async def test_static_refuses_anything_outside_the_folder(client: AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_tile_origin_is_the_only_extra_image_source(tmp_path: Path) -> None:
    from app.settings import Settings

    settings = Settings(web_tile_url="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    csp = pages.security_headers(settings)["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tile.openstreetmap.org;" in csp
    assert pages.tile_origin("") is None
    assert pages.tile_origin("javascript:alert(1)") is None
    config = pages.page_config(settings)
    assert config["tileUrl"].startswith("https://")
