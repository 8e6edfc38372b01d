"""Events from the stream to the right players: new_nft to nearby players only, proximity
alerts once per approach (hysteresis), geofence events from the location service."""

import uuid

import httpx

from app.core.events import RealtimeEvent, publish
from app.placements import service as placement_service
from app.placements.models import PlacementKind
from geo.coords import LatLng
from geo.geodesy import destination
from tests.realtime.conftest import MUNICH, Fixes, LiveServer, Player, connect


def at(
    distance_m: float, bearing: float = 0.0, origin: tuple[float, float] = MUNICH
) -> tuple[float, float]:
    p = destination(origin[0], origin[1], bearing, distance_m)
    return p.lat, p.lng


async def place(
    live: LiveServer, point: tuple[float, float], kind: PlacementKind = PlacementKind.NFT
) -> str:
    placement = placement_service.new_placement(
        kind=kind, title=f"{kind.value} {uuid.uuid4().hex[:6]}", point=LatLng(*point)
    )
    async with live.sessions() as session:
        await placement_service.create_placements(
            session=session, sync=live.resources.placement_sync, placements=[placement]
        )
    return str(placement.id)


async def move(player: Player, fixes: Fixes, point: tuple[float, float]) -> None:
    ack = await player.call("location_update", fixes.at(*point))
    assert ack["ok"] is True, ack
    assert ack["accepted"] is True, ack


async def announce_nft(live: LiveServer, nft_id: str, point: tuple[float, float]) -> None:
    # What NFT-A publishes when an NFT is placed (the seed's new_nft shape).
    await publish(
        live.resources.redis,
        live.settings.redis_channel_prefix,
        RealtimeEvent(
            type="new_nft",
            data={"nft_id": nft_id, "location": {"lat": point[0], "lng": point[1]}},
            near=point,
        ),
    )


async def test_new_nft_reaches_only_players_within_the_radius(live: LiveServer) -> None:
    radius = live.settings.new_nft_radius_m
    near_user, far_user, idle_user = await live.user(), await live.user(), await live.user()
    near = await connect(live.url, live.token(near_user))
    far = await connect(live.url, live.token(far_user))
    idle = await connect(live.url, live.token(idle_user))  # never sent a position
    try:
        await move(near, Fixes(), at(radius * 0.9))
        far_point = at(radius * 1.1, 180)
        await move(far, Fixes(), far_point)
        # The location events are consumed in order before the NFT events below.
        await announce_nft(live, "nft-weapon-01", MUNICH)
        got = await near.wait_for("new_nft")
        assert got == {"nft_id": "nft-weapon-01", "location": {"lat": MUNICH[0], "lng": MUNICH[1]}}
        # A barrier: an NFT next to the far player; once it has arrived, the first one
        # would have too.
        await announce_nft(live, "nft-barrier", far_point)
        await far.wait_for("new_nft", lambda d: d["nft_id"] == "nft-barrier")
        assert [d["nft_id"] for d in far.of("new_nft")] == ["nft-barrier"]
        assert idle.of("new_nft") == []
        assert [d["nft_id"] for d in near.of("new_nft")] == ["nft-weapon-01"]
    finally:
        for p in (near, far, idle):
            await p.close()


async def test_proximity_alert_fires_once_per_approach(live: LiveServer) -> None:
    radius = live.settings.proximity_alert_radius_m
    rearm = radius * live.settings.proximity_rearm_factor
    target = await place(live, MUNICH)
    space_point = at(1_500, 90)
    space = await place(live, space_point, PlacementKind.SPACE)
    user = await live.user()
    player = await connect(live.url, live.token(user))
    fixes = Fixes()
    try:
        # Far, then inside (alert), jitter around the edge and inside the hysteresis band
        # (no alert), out beyond radius * factor (re-arm), in again (second alert).
        for distance in (
            radius * 5,
            radius * 0.5,
            radius * 1.2,
            radius * 0.9,
            (radius + rearm) / 2,
        ):
            await move(player, fixes, at(distance))
        await player.wait_for("proximity_alert", lambda d: d["id"] == target)
        for distance in (rearm * 1.2, radius * 0.3):
            await move(player, fixes, at(distance))
        await player.wait_for(
            "proximity_alert",
            lambda d: (
                d["id"] == target
                and len([a for a in player.of("proximity_alert") if a["id"] == target]) >= 2
            ),
        )
        # Barrier: a different object's alert arrives after everything above was processed.
        await move(player, fixes, at(radius * 3, 270, space_point))
        await move(player, fixes, at(radius * 0.2, 270, space_point))
        barrier = await player.wait_for("proximity_alert", lambda d: d["id"] == space)
        assert barrier["kind"] == "space"
        alerts = [d for d in player.of("proximity_alert") if d["id"] == target]
        assert len(alerts) == 2
        first = alerts[0]
        assert first["kind"] == "nft"
        assert abs(first["distance_m"] - radius * 0.5) < 0.5
        assert abs(first["bearing_deg"] - 180.0) < 0.5  # the player is north of it
        assert set(first) >= {"id", "kind", "title", "distance_m", "bearing_deg", "lat", "lng"}
    finally:
        await player.close()


async def test_geofence_events_reach_the_player(live: LiveServer) -> None:
    organizer = await live.user(roles=("organizer",))
    player_user = await live.user()
    center = at(20_000, 45)
    async with httpx.AsyncClient(base_url=live.url) as http:
        r = await http.post(
            "/api/geofences",
            json={
                "name": "Old town",
                "geometry": {"type": "Point", "coordinates": [center[1], center[0]]},
                "radius_m": 200,
            },
            headers={"Authorization": f"Bearer {live.token(organizer)}"},
        )
        assert r.status_code == 201, r.text
        fence_id = r.json()["id"]
    player = await connect(live.url, live.token(player_user))
    fixes = Fixes()
    try:
        await move(player, fixes, at(1_000, 0, center))
        await move(player, fixes, center)
        entered = await player.wait_for("geofence_enter")
        assert entered["fence_id"] == fence_id
        await move(player, fixes, at(1_000, 0, center))
        exited = await player.wait_for("geofence_exit")
        assert exited["fence_id"] == fence_id
    finally:
        await player.close()
