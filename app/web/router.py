"""HTTP routes of web: the organizer console, the player map and their static files."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse

from app.settings import Settings
from app.web import pages

router = APIRouter(tags=["web"], include_in_schema=False)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.resources.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


@router.get("/console", response_class=HTMLResponse)
async def console(settings: SettingsDep) -> HTMLResponse:
    """Organizer console: draw geofences, attach challenges, watch players live."""
    return HTMLResponse(
        pages.render_page("console", settings), headers=pages.security_headers(settings)
    )


@router.get("/map", response_class=HTMLResponse)
async def player_map(settings: SettingsDep) -> HTMLResponse:
    """Player map: nearby NFTs, spaces and portals, live alerts, claiming."""
    return HTMLResponse(
        pages.render_page("map", settings), headers=pages.security_headers(settings)
    )


@router.get(pages.STATIC_PREFIX + "/{path:path}")
async def static(path: str, settings: SettingsDep) -> FileResponse:
    found = pages.static_file(path)
    headers = pages.security_headers(settings)
    return FileResponse(found, media_type=pages.content_type(found), headers=headers)
