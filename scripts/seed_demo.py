"""Idempotent demo data: a few dozen objects around Munich's Marienplatz.

Ids are derived from names (uuid5), so running this again changes nothing.
"""

import asyncio
import math
import uuid

from redis.asyncio import Redis
from sqlalchemy import select

from app.core.db import make_engine, make_session_factory
from app.placements.models import Placement, PlacementKind
from app.placements.service import new_placement
from app.settings import Settings, get_settings
from geo.coords import LatLng
from geo.geodesy import destination

MARIENPLATZ = LatLng(48.1371, 11.5754)
DEMO_NAMESPACE = uuid.UUID("6f1c3d0e-9b0c-4c59-8d53-7a0c2f1e5b11")

LANDMARKS: list[tuple[str, PlacementKind, float, float]] = [
    ("Marienplatz marker", PlacementKind.MARKER, 48.1371, 11.5754),
    ("Frauenkirche portal", PlacementKind.PORTAL, 48.1386, 11.5733),
    ("Viktualienmarkt hub", PlacementKind.SPACE, 48.1351, 11.5763),
    ("Odeonsplatz showroom", PlacementKind.SPACE, 48.1424, 11.5775),
    ("Hofbräuhaus cache", PlacementKind.NFT, 48.1376, 11.5797),
    ("Isartor cache", PlacementKind.NFT, 48.1354, 11.5819),
    ("Karlsplatz cache", PlacementKind.NFT, 48.1391, 11.5654),
    ("Englischer Garten portal", PlacementKind.PORTAL, 48.1522, 11.5920),
]


def demo_placements() -> list[Placement]:
    placements = [
        new_placement(
            placement_id=uuid.uuid5(DEMO_NAMESPACE, title),
            kind=kind,
            title=title,
            point=LatLng(lat, lng),
            altitude_m=520.0,
        )
        for title, kind, lat, lng in LANDMARKS
    ]
    kinds = list(PlacementKind)
    # Rings of caches around the square: spread over 40 m to 900 m in every direction.
    for i in range(32):
        bearing = (i * 137.508) % 360  # golden angle: even spread without a grid
        distance = 40 + 860 * math.sqrt((i + 0.5) / 32)
        point = destination(MARIENPLATZ.lat, MARIENPLATZ.lng, bearing, distance)
        title = f"Demo object {i + 1:02d}"
        placements.append(
            new_placement(
                placement_id=uuid.uuid5(DEMO_NAMESPACE, title),
                kind=kinds[i % len(kinds)],
                title=title,
                point=point,
                altitude_m=None if i % 3 else 519.0 + i % 7,
            )
        )
    return placements


async def seed(settings: Settings) -> int:
    engine = make_engine(settings)
    session_factory = make_session_factory(engine)
    wanted = demo_placements()
    async with session_factory() as session:
        existing = set(
            await session.scalars(
                select(Placement.id).where(Placement.id.in_([p.id for p in wanted]))
            )
        )
        missing = [p for p in wanted if p.id not in existing]
        session.add_all(missing)
        await session.commit()
    await engine.dispose()
    if missing:
        redis = Redis.from_url(settings.redis_url)
        await redis.publish(settings.placement_channel, b"changed")
        await redis.aclose()
    return len(missing)


def main() -> None:
    added = asyncio.run(seed(get_settings()))
    print(f"[seed] demo placements around Marienplatz: {added} added")


if __name__ == "__main__":
    main()
