"""Demo geofences of DemoOrganizer around Munich's old town: three checkpoint circles and an
old-town polygon with a dwell threshold. Idempotent: ids are derived from names."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.geofences.models import Geofence
from app.geofences.service import checked_shape, set_shape
from app.settings import Settings
from app.users import queries as user_queries

_NAMESPACE = uuid.UUID("0b6a4f7e-3c1d-4e8a-9f52-6d1e2a7c9b30")

# (name, geometry, radius_m, dwell_seconds)
FENCES: list[tuple[str, dict[str, object], float | None, int | None]] = [
    ("Checkpoint 1 Marienplatz", {"type": "Point", "coordinates": [11.5754, 48.1371]}, 60, None),
    (
        "Checkpoint 2 Viktualienmarkt",
        {"type": "Point", "coordinates": [11.5763, 48.1351]},
        80,
        None,
    ),
    ("Checkpoint 3 Odeonsplatz", {"type": "Point", "coordinates": [11.5775, 48.1425]}, 70, None),
    (
        "Old town",
        {
            "type": "Polygon",
            "coordinates": [
                [
                    [11.5650, 48.1340],
                    [11.5800, 48.1320],
                    [11.5850, 48.1390],
                    [11.5780, 48.1440],
                    [11.5660, 48.1420],
                    [11.5650, 48.1340],
                ]
            ],
        },
        None,
        600,
    ),
]


async def seed(session: AsyncSession, settings: Settings) -> str:
    organizer = await user_queries.user_by_username(session, "DemoOrganizer")
    if organizer is None:
        return "[seed] demo geofences: no DemoOrganizer, skipped"
    added = 0
    for name, geometry, radius, dwell in FENCES:
        fence_id = uuid.uuid5(_NAMESPACE, name)
        if await session.get(Geofence, fence_id) is not None:
            continue
        fence = Geofence(
            id=fence_id,
            owner_id=organizer.id,
            name=name,
            tags=["demo"],
            meta={},
            dwell_seconds=dwell,
            version=1,
        )
        set_shape(fence, checked_shape(geometry, radius, settings))
        session.add(fence)
        added += 1
    await session.commit()
    return f"[seed] demo geofences: {added} added, {len(FENCES) - added} already there"
