"""Demo challenge: "Old town run" over the demo organizer's first three geofences (by name),
so the console and the map have something to show. Runs after scripts/demo/geofences.py
(modules run in name order). Idempotent: the id is derived from a name."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.challenges.models import Challenge
from app.geofences.models import Geofence
from app.settings import Settings
from app.users import queries as user_queries

CHALLENGE_ID = uuid.uuid5(uuid.UUID("6f1c3d0e-9b0c-4c59-8d53-7a0c2f1e5b11"), "challenge:old-town")


async def seed(session: AsyncSession, settings: Settings) -> str:
    organizer = await user_queries.user_by_username(session, "DemoOrganizer")
    if organizer is None:
        return "[seed] demo challenge: no DemoOrganizer, skipped"
    if await session.get(Challenge, CHALLENGE_ID) is not None:
        return "[seed] demo challenge 'Old town run': already there"
    fences = list(
        await session.scalars(
            select(Geofence.id)
            .where(Geofence.owner_id == organizer.id, Geofence.deleted_at.is_(None))
            .order_by(Geofence.name)
            .limit(3)
        )
    )
    if not fences:
        return "[seed] demo challenge: DemoOrganizer has no geofences yet, skipped"
    session.add(
        Challenge(
            id=CHALLENGE_ID,
            owner_id=organizer.id,
            name="Old town run",
            description="Visit the checkpoints in order.",
            kind="checkpoints",
            fence_ids=fences,
            ordered=True,
            reward={"name": "Old town medal", "metadata": {"description": "Ran the old town"}},
        )
    )
    await session.commit()
    return f"[seed] demo challenge 'Old town run' over {len(fences)} geofences: added"
