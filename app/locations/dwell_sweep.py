"""Dwell events for players who stop sending updates inside a fence.

A dwell fires once per visit, at the first moment the player has been inside for the
fence's threshold. Updates fire it when they come; a phone lying still on a table sends
none, so a periodic sweep fires the dwells that are due for players whose last accepted fix
is recent enough to believe they are still there (`location_dwell_stale_s`). Each player is
handled in its own transaction under the same advisory lock as their updates, and the
`dwell_fired` flag is written with the event: a dwell fires exactly once whichever of the
sweep and an update gets there first.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.challenges import service as challenge_service
from app.locations import queries
from app.locations.service import (
    Fix,
    after_commit,
    engine_of,
    geo_events,
    last_accepted_fix,
    record_transitions,
)
from app.locations.transitions import Visit, dwells
from app.resources import Resources
from app.users import queries as user_queries


async def sweep_dwells(
    *, resources: Resources, session: AsyncSession, now: datetime | None = None
) -> int:
    """Fire the dwells due at `now` (default: the current time); returns how many."""
    settings = resources.settings
    now = now or datetime.now(UTC)
    due = await queries.players_with_dwells_due(
        session,
        now=now,
        fresh_since=now - timedelta(seconds=settings.location_dwell_stale_s),
        limit=settings.location_dwell_sweep_batch,
    )
    await session.commit()  # end the read's transaction before taking locks one by one
    fired = 0
    for user_id in due:
        fired += await _sweep_player(resources, session, user_id, now)
    return fired


async def _sweep_player(
    resources: Resources, session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> int:
    engine = engine_of(resources)
    await queries.lock_player(session, user_id)
    users = await user_queries.active_users(session, [user_id])
    last = await last_accepted_fix(session, user_id)
    # Re-checked under the lock: an update may have fired the dwell (or left) meanwhile.
    stale = now - timedelta(seconds=resources.settings.location_dwell_stale_s)
    if not users or last is None or last.timestamp < stale:
        await session.commit()
        return 0
    visits = await queries.get_visits(session, user_id)
    before = {f: Visit(v.entered_at, v.dwell_fired) for f, v in visits.items()}
    transitions = dwells(visits, t=now.timestamp(), fence=engine.get)
    if not transitions:
        await session.commit()
        return 0
    # Where the player was last seen, at the time the dwell became due.
    at = Fix(last.lat, last.lng, last.accuracy_m, now)
    events = geo_events(engine, transitions, user=users[0], fix=at)
    await record_transitions(session, [queries.VisitChange(user_id, before, visits, now)], events)
    outcomes = await challenge_service.on_locations(
        session=session,
        moves=[challenge_service.PlayerMove(users[0], events, visits, now)],
    )
    await session.commit()
    await after_commit(
        resources,
        session,
        [e.realtime() for e in events],
        challenge_service.ChallengeOutcome.merged(outcomes.values()),
    )
    return len(events)
