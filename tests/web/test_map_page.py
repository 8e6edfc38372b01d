"""The player map in a real browser: nearby objects, moving the marker, live proximity
alerts over Socket.IO, claiming an NFT; nothing loaded from outside this machine."""

import asyncio
import uuid

import httpx

from geo.geodesy import destination
from tests.web.conftest import (
    ORGANIZER,
    PLAYER,
    BrowserPage,
    LiveServer,
    demo_password,
    new_player,
    require_routes,
    token_for,
    unique,
)
from tests.web.helpers import log_in, screen_point, wait_for_handle

MARIENPLATZ = (48.1371, 11.5754)
# ~2.7 km west-south-west of the demo objects, so no demo object alerts here.
NFT_SPOT = (48.1300, 11.5400)


async def test_player_map_shows_nearby_objects_offline(
    web_page: BrowserPage, live_server: LiveServer
) -> None:
    page = web_page.page
    lat, lng = MARIENPLATZ
    password = demo_password(live_server.settings, PLAYER)
    await log_in(page, f"/map?lat={lat}&lng={lng}", PLAYER, password)
    await wait_for_handle(page, "cyberspaceMap")
    # The demo's spaces and portals around Marienplatz, nearest first, with distance/bearing.
    places = page.locator("[data-testid=place-item]")
    await places.first.wait_for()
    texts = await places.all_inner_texts()
    assert any("Viktualienmarkt hub" in t for t in texts), texts
    assert all(" m" in t and "°" in t for t in texts), texts
    # The offline grid is drawn (the configured tile server does not answer).
    assert await page.locator(".leaflet-tile-container canvas").count() > 0
    # Object markers are on the map.
    assert await page.locator("path.leaflet-interactive").count() >= len(texts)
    await web_page.screenshot("map-nearby")
    assert web_page.offsite.blocked == []
    assert web_page.offsite.csp_violations == []
    assert web_page.offsite.page_errors == []


async def test_offsite_requests_are_refused_and_recorded(web_page: BrowserPage) -> None:
    """The guard the other tests rely on really sees and stops outside requests: the CSP
    stops them on our pages, the route guard anywhere else."""
    page = web_page.page
    await page.goto("/map")
    async with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        await page.evaluate("() => fetch('https://example.org/x').catch(() => null)")
    assert any("example.org" in v for v in web_page.offsite.csp_violations)
    await page.goto("about:blank")
    async with page.expect_event("requestfailed"):
        await page.set_content('<img src="https://example.org/y.png">')
    assert web_page.offsite.blocked == ["https://example.org/y.png"]
    web_page.offsite.blocked.clear()
    web_page.offsite.csp_violations.clear()


async def drag_marker_to(page: BrowserPage, lat: float, lng: float) -> None:
    """Drag the player's marker (the map's only marker icon) so its tip lands on (lat, lng)."""
    p = page.page
    icon = p.locator(".leaflet-marker-icon").first
    box = await icon.bounding_box()
    assert box is not None
    here = await p.evaluate(
        "() => { const m = window.cyberspaceMap.state.position; return [m.lat, m.lng]; }"
    )
    from_x, from_y = await screen_point(p, "cyberspaceMap", here[0], here[1])
    to_x, to_y = await screen_point(p, "cyberspaceMap", lat, lng)
    grab_x, grab_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await p.mouse.move(grab_x, grab_y)
    await p.mouse.down()
    await p.mouse.move(grab_x + (to_x - from_x), grab_y + (to_y - from_y), steps=12)
    await p.mouse.up()
    # The page sends the fix and re-reads nearby; wait for the update's verdict.
    await p.wait_for_function(
        "([lat, lng]) => { const s = window.cyberspaceMap.state.position;"
        " return Math.abs(s.lat - lat) < 2e-5 && Math.abs(s.lng - lng) < 3e-5; }",
        arg=[lat, lng],
    )


async def test_player_walks_to_an_nft_gets_the_alert_and_claims_it(
    web_page: BrowserPage, live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    await require_routes(
        api,
        "/api/nfts",
        "/api/nft/place",
        "/api/nfts/nearby",
        "/api/nfts/{nft_id}/claim",
        "/api/locations",
    )
    settings = live_server.settings
    # The player opens the map 220 m north of where the NFT will be placed.
    start = destination(NFT_SPOT[0], NFT_SPOT[1], 0.0, 220.0)
    page = web_page.page
    player = await new_player(api)
    await log_in(page, f"/map?lat={start.lat}&lng={start.lng}", player.username, player.password)
    await wait_for_handle(page, "cyberspaceMap")
    await page.wait_for_function(
        "() => document.getElementById('status').textContent === 'live: connected'"
    )
    await page.locator("[data-testid=update-result][data-accepted=true]").wait_for()

    # The organizer mints and places an NFT there: the player hears of it (new_nft).
    organizer = await token_for(api, ORGANIZER, demo_password(settings, ORGANIZER))
    auth = {"Authorization": f"Bearer {organizer}"}
    name = unique("Browser cache")
    nft_id = f"web-{uuid.uuid4().hex[:12]}"
    minted = await api.post("/api/nfts", json={"nft_id": nft_id, "name": name}, headers=auth)
    assert minted.status_code == 201, minted.text
    placed = await api.post(
        "/api/nft/place",
        json={
            "user_id": ORGANIZER,
            "nft_id": nft_id,
            "location": {"lat": NFT_SPOT[0], "lng": NFT_SPOT[1]},
            "claim_radius_m": 25,
        },
        headers=auth,
    )
    assert placed.status_code in (200, 201), placed.text
    await page.locator("[data-testid=new-nft]", has_text=nft_id).wait_for()
    item = page.locator(f"[data-testid=nft-item][data-nft-id='{nft_id}']")
    await item.wait_for()
    assert await item.locator("[data-testid=claim]").is_disabled()  # 220 m away

    result = page.locator("[data-testid=update-result]")
    for distance in (160.0, 110.0, 70.0, 30.0, 0.0):
        await asyncio.sleep(1.0)  # walking pace: the server refuses teleports
        target = destination(NFT_SPOT[0], NFT_SPOT[1], 0.0, distance) if distance else None
        lat, lng = (target.lat, target.lng) if target else NFT_SPOT
        answered = await result.get_attribute("data-count")
        await drag_marker_to(web_page, lat, lng)
        await page.wait_for_function(
            "n => document.getElementById('update-result').dataset.count !== n", arg=answered
        )
        assert await result.get_attribute("data-accepted") == "true", await result.inner_text()

    alert = page.locator("[data-testid=proximity-alert]", has_text=name)
    await alert.first.wait_for()
    await web_page.screenshot("map-proximity-alert")

    claim = item.locator("[data-testid=claim]")
    await page.wait_for_function(
        "id => { const b = document.querySelector(`[data-nft-id='${id}'] [data-testid=claim]`);"
        " return b && !b.disabled; }",
        arg=nft_id,
    )
    await claim.click()
    claimed = f"[data-testid=nft-item][data-nft-id='{nft_id}'][data-claimed=true]"
    await page.locator(claimed).wait_for()
    await web_page.screenshot("map-claimed")

    owner = await api.get(f"/api/nfts/{nft_id}")
    assert owner.status_code == 200, owner.text
    assert player.username in owner.text
    assert web_page.offsite.blocked == []
    assert web_page.offsite.csp_violations == []


async def test_device_location_and_token_refresh(
    web_page: BrowserPage, api: httpx.AsyncClient
) -> None:
    """The browser's geolocation moves the player (the context fakes Marienplatz), and an
    expired access token is refreshed once, transparently."""
    player = await new_player(api)
    page = web_page.page
    await log_in(page, "/map?lat=48.1400&lng=11.5700", player.username, player.password)
    await wait_for_handle(page, "cyberspaceMap")
    await page.locator("[data-testid=use-gps]").check()
    await page.wait_for_function(
        "() => { const p = window.cyberspaceMap.state.position;"
        " return Math.abs(p.lat - 48.1371) < 1e-6 && Math.abs(p.lng - 11.5754) < 1e-6; }"
    )
    assert "48.137100, 11.575400" in await page.locator("[data-testid=position]").inner_text()
    me = await page.evaluate(
        """async () => {
            const api = window.cyberspaceMap.api;
            const before = api.refreshToken;
            api.accessToken = "expired.or.garbage";
            const user = await api.request("GET", "/api/users/me");
            return {username: user.username, rotated: api.refreshToken !== before};
        }"""
    )
    assert me == {"username": player.username, "rotated": True}
    assert web_page.offsite.blocked == []


async def test_player_joins_a_space_and_enters_a_portal(
    web_page: BrowserPage, live_server: LiveServer, api: httpx.AsyncClient
) -> None:
    await require_routes(
        api,
        "/api/spaces/create",
        "/api/spaces/{space_id}/join",
        "/api/portals",
        "/api/portals/{portal_id}/enter",
    )
    settings = live_server.settings
    organizer = await token_for(api, ORGANIZER, demo_password(settings, ORGANIZER))
    auth = {"Authorization": f"Bearer {organizer}"}
    spot = (48.1250, 11.6000)  # away from the demo objects
    space_name, portal_name = unique("Browser lounge"), unique("Browser gate")
    space = await api.post(
        "/api/spaces/create",
        json={
            "user_id": ORGANIZER,
            "space_name": space_name,
            "access_type": "public",
            "lat": spot[0],
            "lng": spot[1] + 0.0005,
        },
        headers=auth,
    )
    assert space.status_code == 201, space.text
    portal = await api.post(
        "/api/portals",
        json={
            "name": portal_name,
            "game_url": "https://nova.example/play",
            "lat": spot[0] + 0.0005,
            "lng": spot[1],
        },
        headers=auth,
    )
    assert portal.status_code == 201, portal.text

    player = await new_player(api)
    page = web_page.page
    await log_in(page, f"/map?lat={spot[0]}&lng={spot[1]}", player.username, player.password)
    space_item = page.locator("[data-testid=place-item]", has_text=space_name)
    await space_item.locator("[data-testid=space-join]").click()
    await space_item.locator("[data-testid=place-result]", has_text="joined").wait_for()
    portal_item = page.locator("[data-testid=place-item]", has_text=portal_name)
    await portal_item.locator("[data-testid=portal-enter]").click()
    link = portal_item.locator("[data-testid=game-link]")
    await link.wait_for()
    assert await link.get_attribute("href") == "https://nova.example/play"
    await web_page.screenshot("map-space-portal")
    members = await api.get(f"/api/spaces/{space.json()['space_id']}/members", headers=auth)
    assert player.username in members.text
    assert web_page.offsite.blocked == []
    assert web_page.offsite.csp_violations == []
