"""The organizer console in a real browser: draw geofences with the mouse, see them saved
through the API, see the API's validation message on a bad shape, watch a player (moved
through the API by the test) appear and enter the fence live over Socket.IO."""

import time
from typing import Any

import httpx
from playwright.async_api import Page

from geo.geodesy import destination
from tests.web.conftest import (
    ORGANIZER,
    BrowserPage,
    LiveServer,
    demo_password,
    new_player,
    require_routes,
    token_for,
    unique,
)
from tests.web.helpers import log_in, screen_point, wait_for_handle

HANDLE = "cyberspaceConsole"


async def open_console(web_page: BrowserPage) -> Page:
    page = web_page.page
    password = demo_password(web_page.server.settings, ORGANIZER)
    await log_in(page, "/console", ORGANIZER, password)
    await wait_for_handle(page, HANDLE)
    return page


def square(center: tuple[float, float], half_m: float) -> list[tuple[float, float]]:
    """Corners NE, SE, SW, NW of a square around `center` (lat, lng)."""
    corners = []
    for bearing in (45.0, 135.0, 225.0, 315.0):
        p = destination(center[0], center[1], bearing, half_m * 2**0.5)
        corners.append((p.lat, p.lng))
    return corners


async def draw_polygon(page: Page, vertices: list[tuple[float, float]], name: str) -> None:
    await page.fill("[data-testid=new-name]", name)
    await page.locator(".leaflet-pm-icon-polygon").click()
    points = [await screen_point(page, HANDLE, lat, lng) for lat, lng in vertices]
    for x, y in points:
        await page.mouse.click(x, y)
    await page.mouse.click(*points[0])  # clicking the first vertex closes the ring


async def fence_item(page: Page, name: str) -> str:
    item = page.locator("[data-testid=fence-item]", has_text=name)
    await item.wait_for()
    fence_id = await item.get_attribute("data-fence-id")
    assert fence_id
    return fence_id


async def organizer_auth(api: httpx.AsyncClient, server: LiveServer) -> dict[str, str]:
    token = await token_for(api, ORGANIZER, demo_password(server.settings, ORGANIZER))
    return {"Authorization": f"Bearer {token}"}


def ring_of(geometry: dict[str, Any]) -> list[list[float]]:
    assert geometry["type"] == "Polygon", geometry
    ring: list[list[float]] = geometry["coordinates"][0]
    return ring


async def test_organizer_draws_a_polygon_and_watches_a_player_enter(
    web_page: BrowserPage, live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    await require_routes(api, "/api/geofences", "/api/geofences/{fence_id}", "/api/locations")
    page = await open_console(web_page)
    await page.wait_for_function(
        "() => document.getElementById('status').textContent === 'live: connected'"
    )
    center = (48.1395, 11.5700)
    corners = square(center, 60.0)
    name = unique("Browser square")
    await draw_polygon(page, corners, name)
    fence_id = await fence_item(page, name)

    # Saved through the API as drawn (the mouse lands within a pixel: ~2 m at zoom 16).
    auth = await organizer_auth(api, live_server)
    saved = await api.get(f"/api/geofences/{fence_id}", headers=auth)
    assert saved.status_code == 200, saved.text
    fence = saved.json()
    assert fence["name"] == name
    assert fence["kind"] == "polygon"
    ring = ring_of(fence["geometry"])
    assert len(ring) == 5
    for lat, lng in corners:
        assert min(abs(lng - x) + abs(lat - y) for x, y in ring) < 1e-4, (lat, lng, ring)
    await web_page.screenshot("console-polygon-saved")

    # Edit mode: drag the north-east corner 40 px east; the console PATCHes the new shape.
    await page.locator(".leaflet-pm-icon-edit").click()
    x, y = await screen_point(page, HANDLE, *corners[0])
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x + 40, y, steps=8)
    await page.mouse.up()
    await page.locator(".leaflet-pm-icon-edit").click()
    await page.locator("[data-testid=fence-item]", has_text="v2").wait_for()
    edited = (await api.get(f"/api/geofences/{fence_id}", headers=auth)).json()
    assert edited["version"] == 2
    assert max(x for x, _ in ring_of(edited["geometry"])) > max(x for x, _ in ring) + 1e-4

    # A player walks in (through the REST API): the console shows them and the enter event.
    player = await new_player(api)
    outside = destination(center[0], center[1], 0.0, 200.0)
    now = time.time()
    moves = [
        {"lat": outside.lat, "lng": outside.lng, "accuracy_m": 5, "timestamp": now - 20},
        {"lat": center[0], "lng": center[1], "accuracy_m": 5, "timestamp": now},
    ]
    for move in moves:
        response = await api.post("/api/locations", json=move, headers=player.auth)
        assert response.status_code in (200, 201, 202), response.text
    row = page.locator("[data-testid=player-item]", has_text=player.username)
    await row.wait_for()
    event = page.locator(
        f"[data-testid=event-item][data-type=geofence_enter][data-fence-id='{fence_id}']"
    )
    await event.wait_for()
    assert name in await event.inner_text()
    await web_page.screenshot("console-player-entered")
    assert web_page.offsite.blocked == []
    assert web_page.offsite.csp_violations == []
    assert web_page.offsite.page_errors == []


async def test_self_intersecting_polygon_shows_the_api_message(
    web_page: BrowserPage, live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    await require_routes(api, "/api/geofences")
    page = await open_console(web_page)
    center = (48.1360, 11.5800)
    ne, se, sw, nw = square(center, 50.0)
    name = unique("Bow tie")
    # NW -> SE -> NE -> SW: the edges NW-SE and NE-SW cross in the middle.
    await draw_polygon(page, [nw, se, ne, sw], name)
    tooltip = page.locator(".leaflet-tooltip.fence-error")
    await tooltip.wait_for()
    shown = (await tooltip.inner_text()).strip()
    drawn = await page.evaluate(
        """() => { let found = null;
            window.cyberspaceConsole.map.eachLayer(l => {
                if (l._apiError) found = {geometry: l.toGeoJSON(15).geometry, error: l._apiError};
            });
            return found; }"""
    )
    assert drawn is not None
    # The API says the same thing about the same shape, and that is what the user sees.
    answer = await api.post(
        "/api/geofences",
        json={"name": name, "geometry": drawn["geometry"]},
        headers=await organizer_auth(api, live_server),
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert shown == error["message"]
    assert drawn["error"]["details"].get("reason") == "self_intersection"
    assert await page.locator("[data-testid=fence-item]", has_text=name).count() == 0
    await web_page.screenshot("console-self-intersection")
    assert web_page.offsite.blocked == []
    assert web_page.offsite.csp_violations == []


async def test_circle_is_drawn_edited_and_deleted(
    web_page: BrowserPage, live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    await require_routes(api, "/api/geofences", "/api/geofences/{fence_id}")
    page = await open_console(web_page)
    auth = await organizer_auth(api, live_server)
    center = (48.1345, 11.5700)
    name = unique("<i>Browser</i> circle")  # names are text, never markup
    await page.fill("[data-testid=new-name]", name)
    await page.locator(".leaflet-pm-icon-circle").click()
    cx, cy = await screen_point(page, HANDLE, *center)
    rim = destination(center[0], center[1], 90.0, 80.0)
    rx, ry = await screen_point(page, HANDLE, rim.lat, rim.lng)
    await page.mouse.click(cx, cy)
    await page.mouse.click(rx, ry)
    fence_id = await fence_item(page, name)
    fence = (await api.get(f"/api/geofences/{fence_id}", headers=auth)).json()
    assert fence["kind"] == "circle"
    assert abs(fence["radius_m"] - 80.0) < 5.0  # one pixel is ~2 m at zoom 16
    assert abs(fence["center"]["lat"] - center[0]) < 3e-5
    await page.mouse.move(cx, cy - 200)  # off the circle, then over it: the label shows
    await page.mouse.move(cx, cy, steps=5)
    label = page.locator(".leaflet-tooltip.fence-label", has_text=name)
    await label.wait_for()
    assert await label.locator("i").count() == 0

    # Rename it in the side panel: PATCH, version 2.
    await page.locator("[data-testid=fence-item] a", has_text=name).click()
    renamed = f"{name} renamed"
    await page.fill("[data-testid=fence-name]", renamed)
    await page.locator("[data-testid=selected] button", has_text="Save").click()
    await page.locator("[data-testid=fence-item]", has_text=renamed).wait_for()
    fence = (await api.get(f"/api/geofences/{fence_id}", headers=auth)).json()
    assert fence["name"] == renamed
    assert fence["version"] == 2

    # Delete with the toolbar's removal mode: the API forgets it.
    await page.locator(".leaflet-pm-icon-delete").click()
    await page.mouse.click(*await screen_point(page, HANDLE, *center))  # the map moved
    await page.locator("[data-testid=fence-item]", has_text=renamed).wait_for(state="detached")
    gone = await api.get(f"/api/geofences/{fence_id}", headers=auth)
    assert gone.status_code == 404
    assert web_page.offsite.blocked == []


async def test_organizer_attaches_a_challenge_and_sees_the_leaderboard(
    web_page: BrowserPage, live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    await require_routes(
        api, "/api/geofences", "/api/challenges", "/api/challenges/{challenge_id}/leaderboard"
    )
    auth = await organizer_auth(api, live_server)
    center = (48.1380, 11.5820)
    ne, se, sw, nw = square(center, 40.0)
    ring = [[lng, lat] for lat, lng in (sw, se, ne, nw, sw)]  # counter-clockwise
    name = unique("Checkpoint")
    created = await api.post(
        "/api/geofences",
        json={"name": name, "geometry": {"type": "Polygon", "coordinates": [ring]}},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    fence_id = created.json()["id"]

    page = await open_console(web_page)
    await page.locator("[data-testid=fence-item] a", has_text=name).click()
    challenge_name = f"{name} hunt"
    await page.fill("[data-testid=challenge-name]", challenge_name)
    await page.select_option("[data-testid=challenge-kind]", "checkpoints")
    await page.locator("[data-testid=challenge-create]").click()
    await page.locator("[data-testid=fence-challenges] li", has_text=challenge_name).wait_for()
    listed = (await api.get(f"/api/challenges?fence_id={fence_id}", headers=auth)).json()
    (challenge,) = [c for c in listed["items"] if c["name"] == challenge_name]
    assert challenge["fence_ids"] == [fence_id]
    assert challenge["kind"] == "checkpoints"

    # A player joins and walks in (API); the console's leaderboard shows them done.
    player = await new_player(api)
    joined = await api.post(f"/api/challenges/{challenge['id']}/join", headers=player.auth)
    assert joined.status_code == 200, joined.text
    now = time.time()
    outside = destination(center[0], center[1], 180.0, 150.0)
    for lat, lng, t in ((outside.lat, outside.lng, now - 20), (center[0], center[1], now)):
        move = {"lat": lat, "lng": lng, "accuracy_m": 5, "timestamp": t}
        response = await api.post("/api/locations", json=move, headers=player.auth)
        assert response.status_code in (200, 201, 202), response.text
    row = page.locator("[data-testid=leaderboard-row]", has_text=player.username)
    await row.wait_for()
    await page.wait_for_function(
        "name => [...document.querySelectorAll('[data-testid=leaderboard-row]')]"
        ".some(r => r.textContent.includes(name) && r.textContent.includes('1/1'))",
        arg=player.username,
    )
    event = page.locator(
        f"[data-testid=event-item][data-type=geofence_enter][data-fence-id='{fence_id}']"
    )
    await event.wait_for()
    await web_page.screenshot("console-leaderboard")
    # After a reload (still logged in: the tab keeps its tokens), the event comes back from
    # the fence's event log, and the leaderboard from the API.
    await page.reload()
    await wait_for_handle(page, HANDLE)
    await event.wait_for()
    await page.locator("[data-testid=challenge-select]").select_option(challenge["id"])
    await row.wait_for()
    assert web_page.offsite.blocked == []
    assert web_page.offsite.page_errors == []


async def test_players_cannot_use_the_console(
    web_page: BrowserPage, api: httpx.AsyncClient
) -> None:
    player = await new_player(api)
    page = web_page.page
    await page.goto("/console")
    await page.fill("#login-form input[name=username]", player.username)
    await page.fill("#login-form input[name=password]", player.password)
    await page.click("#login-form button[type=submit]")
    await page.locator("#login-error", has_text="not an organizer").wait_for()
    assert await page.locator("#app").is_hidden()
