"""Location updates: plausibility, last position + history, transitions, the event log.

One request (REST batch or one Socket.IO message) is one transaction under the player's
advisory lock, so concurrent requests of a player (two devices, a retry racing the original,
a fence-change re-evaluation) are applied one after the other against the stored state.
That, plus refusing fixes not newer than the last accepted one, makes every transition
happen exactly once: a repeated update is a `duplicate`, an older one `out_of_order`, and
neither touches state. Events are published after commit.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.challenges import service as challenge_service
from app.core.errors import Forbidden, InvalidInput, NotFound
from app.core.events import RealtimeEvent
from app.core.outbox import publish_or_defer
from app.geofences.component import GeofenceComponent
from app.geofences.engine import Classification, GeofenceEngine
from app.locations import queries
from app.locations.events import GEOFENCE_EVENTS, LOCATION_UPDATES, GeoEvent
from app.locations.schemas import (
    EventOut,
    GeofenceEventOut,
    GeofenceEventPage,
    LocationUpdateIn,
    PositionOut,
    RejectReason,
    UpdateResult,
)
from app.locations.transitions import Transition, Visit, step
from app.resources import Resources
from app.settings import Settings
from app.users.models import User
from app.webhooks import service as webhook_service
from geo.plausibility import hysteresis_margin_m, implied_speed_mps

log = logging.getLogger("cyberspace.locations")

_EVENT_TYPES = {"enter": "geofence_enter", "exit": "geofence_exit", "dwell": "geofence_dwell"}


@dataclass(frozen=True)
class Fix:
    lat: float
    lng: float
    accuracy_m: float
    timestamp: datetime  # tz-aware UTC


async def last_accepted_fix(session: AsyncSession, user_id: uuid.UUID) -> Fix | None:
    """The player's last accepted position (for claims' teleport check), or None."""
    row = await queries.get_position(session, user_id)
    if row is None:
        return None
    return Fix(row.lat, row.lng, row.accuracy_m, row.fix_at)


def engine_of(resources: Resources) -> GeofenceEngine:
    return resources.component(GeofenceComponent).engine


def check_fix(
    update: LocationUpdateIn,
    at: datetime,
    last: Fix | None,
    *,
    now: datetime,
    settings: Settings,
) -> RejectReason | None:
    """Why a fix is implausible, or None. Order matters: a retried update is a `duplicate`
    even when it has meanwhile become too old."""
    if update.accuracy_m > settings.location_max_accuracy_m:
        return "inaccurate"
    age = (now - at).total_seconds()
    if age < -settings.location_max_future_skew_s:
        return "future"
    if last is not None:
        if at == last.timestamp:
            return "duplicate"
        if at < last.timestamp:
            return "out_of_order"
    if age > settings.location_max_age_s:
        return "too_old"
    if last is not None:
        speed = implied_speed_mps(
            last.lat,
            last.lng,
            last.accuracy_m,
            last.timestamp.timestamp(),
            update.lat,
            update.lng,
            update.accuracy_m,
            at.timestamp(),
        )
        if speed > settings.location_max_speed_mps:
            return "too_fast"
    return None


def margin_for(accuracy_m: float, settings: Settings) -> float:
    return hysteresis_margin_m(
        accuracy_m,
        factor=settings.location_margin_factor,
        min_m=settings.location_margin_min_m,
        max_m=settings.location_margin_max_m,
    )


def classify_fixes(
    engine: GeofenceEngine,
    fixes: list[Fix],
    visits: dict[uuid.UUID, Visit],
    settings: Settings,
) -> list[Classification]:
    """Classify a player's accepted fixes in one vectorised engine call.

    Each fix must be tested against the player's fences at that moment (to tell "left" from
    "in the border band"), which depends on the fixes before it. Testing against a superset
    is just as exact, so: one call with the fences held before the request, and a second one
    only if some fix found a fence outside that set (the player entered something).
    """
    if not fixes:
        return []
    lats = [f.lat for f in fixes]
    lngs = [f.lng for f in fixes]
    margins = [margin_for(f.accuracy_m, settings) for f in fixes]
    # The active window is judged at the request's last fix time (within the allowed age).
    at = fixes[-1].timestamp.timestamp()
    held = set(visits)
    out = engine.classify_batch(lats, lngs, margins, [held] * len(fixes), at=at)
    found = set().union(*(c.inside for c in out))
    if not found <= held:
        wider = held | found
        out = engine.classify_batch(lats, lngs, margins, [wider] * len(fixes), at=at)
    return out


def geo_events(
    engine: GeofenceEngine,
    transitions: list[Transition],
    *,
    user: User,
    fix: Fix,
    reason_override: str | None = None,
) -> list[GeoEvent]:
    out = []
    for tr in transitions:
        info = engine.get(tr.fence_id)
        extra: dict[str, Any] = {}
        if tr.type == "exit":
            extra["reason"] = (
                reason_override if reason_override and tr.reason == "moved" else tr.reason
            )
        if tr.type == "dwell" and tr.dwell_seconds is not None:
            extra["dwell_seconds"] = round(tr.dwell_seconds, 3)
        out.append(
            GeoEvent(
                type=_EVENT_TYPES[tr.type],
                fence_id=tr.fence_id,
                fence_name=info.name if info else "",
                owner_id=info.owner_id if info else None,
                fence_version=info.version if info else 0,
                user_id=user.id,
                username=user.username,
                lat=fix.lat,
                lng=fix.lng,
                accuracy_m=fix.accuracy_m,
                fix_at=fix.timestamp,
                extra=extra,
            )
        )
    return out


def _event_out(event: GeoEvent) -> EventOut:
    return EventOut(
        type=event.type,
        event_id=str(event.event_id),
        fence_id=str(event.fence_id),
        fence_name=event.fence_name,
        data=event.data(),
    )


async def ingest_updates(
    *,
    resources: Resources,
    session: AsyncSession,
    user: User,
    updates: list[LocationUpdateIn],
) -> list[UpdateResult]:
    """Check, store and run a player's updates through the engine; commits and publishes."""
    settings = resources.settings
    if len(updates) > settings.location_max_batch:
        raise InvalidInput(
            f"At most {settings.location_max_batch} updates per request",
            details={"max_batch": settings.location_max_batch, "got": len(updates)},
        )
    engine = engine_of(resources)
    now = datetime.now(UTC)
    stamps = [u.timestamp or now for u in updates]

    await queries.lock_player(session, user.id)
    position, visits = await queries.player_state(session, user.id)
    last = (
        None
        if position is None
        else Fix(position.lat, position.lng, position.accuracy_m, position.fix_at)
    )
    before = {f: Visit(v.entered_at, v.dwell_fired) for f, v in visits.items()}

    results: list[UpdateResult | None] = [None] * len(updates)
    accepted: list[tuple[int, Fix, LocationUpdateIn]] = []
    # Plausibility first (each fix against the last accepted one), in time order: a phone's
    # buffered batch may come in any order.
    for i in sorted(range(len(updates)), key=lambda k: (stamps[k], k)):
        update, at = updates[i], stamps[i]
        reason = check_fix(update, at, last, now=now, settings=settings)
        if reason is not None:
            LOCATION_UPDATES.labels(reason).inc()
            results[i] = UpdateResult(index=i, accepted=False, reason=reason)
            continue
        last = Fix(update.lat, update.lng, update.accuracy_m, at)
        accepted.append((i, last, update))

    events: list[GeoEvent] = []
    fixes = [f for _, f, _ in accepted]
    for (i, fix, _), classified in zip(
        accepted, classify_fixes(engine, fixes, visits, settings), strict=True
    ):
        transitions = step(visits, classified, t=fix.timestamp.timestamp(), fence=engine.get)
        caused = geo_events(engine, transitions, user=user, fix=fix)
        events.extend(caused)
        LOCATION_UPDATES.labels("accepted").inc()
        results[i] = UpdateResult(index=i, accepted=True, events=[_event_out(e) for e in caused])

    publish: list[RealtimeEvent] = []
    outcome = challenge_service.ChallengeOutcome()
    if accepted:
        _, fix, update = accepted[-1]
        await queries.save_fixes(
            session,
            position={
                "user_id": user.id,
                "lat": fix.lat,
                "lng": fix.lng,
                "accuracy_m": fix.accuracy_m,
                "speed_mps": update.speed_mps,
                "heading_deg": update.heading_deg,
                "fix_at": fix.timestamp,
                "received_at": now,
            },
            history=[(f.lat, f.lng, f.accuracy_m, f.timestamp) for f in fixes],
            keep=settings.location_history_size,
        )
        await queries.save_visits(session, user.id, before, visits, fix.timestamp)
        if events:
            await queries.add_events(session, [e.row() for e in events])
            await webhook_service.enqueue(session, events)
        # Challenges move only on events, or on time spent inside a fence (dwell goals): a
        # player outside every fence with nothing happening costs no challenge query.
        if events or visits:
            outcome = await challenge_service.on_location(
                session=session, user=user, events=events, visits=visits, last_t=fix.timestamp
            )
        for e in events:
            GEOFENCE_EVENTS.labels(e.type).inc()
        publish.extend(e.realtime() for e in events)
        publish.extend(
            RealtimeEvent(
                type="_location_accepted",
                data={
                    "user_id": str(user.id),
                    "lat": f.lat,
                    "lng": f.lng,
                    "accuracy_m": f.accuracy_m,
                    "timestamp": f.timestamp.isoformat(),
                },
            )
            for f in fixes
        )
        owners = {
            str(info.owner_id)
            for f in visits
            if (info := engine.get(f)) is not None and info.owner_id is not None
        }
        if owners:
            publish.append(
                RealtimeEvent(
                    type="player_position",
                    data={
                        "user_id": str(user.id),
                        "username": user.username,
                        "lat": fix.lat,
                        "lng": fix.lng,
                        "accuracy_m": fix.accuracy_m,
                        "timestamp": fix.timestamp.isoformat(),
                        "fence_ids": sorted(str(f) for f in visits),
                    },
                    user_ids=tuple(sorted(owners)),
                )
            )
    await session.commit()
    await after_commit(resources, session, publish, outcome)
    # Challenge events belong to the update that caused them: the last accepted one.
    if accepted and outcome.events:
        last_index = max(
            (r.index for r in results if r is not None and r.accepted),
            key=lambda k: stamps[k],
        )
        target = results[last_index]
        assert target is not None
        target.events.extend(outcome.events)
    return [r for r in results if r is not None]


async def after_commit(
    resources: Resources,
    session: AsyncSession,
    publish: list[RealtimeEvent],
    outcome: "challenge_service.ChallengeOutcome",
) -> None:
    """Publish committed events; award rewards and update leaderboards (never raise: the
    state is committed and the durable log has every event)."""
    try:
        await challenge_service.after_commit(resources=resources, session=session, outcome=outcome)
    except Exception:
        log.exception("challenge follow-up failed; rewards stay pending for the retry worker")
    await publish_or_defer(
        redis=resources.redis,
        prefix=resources.settings.redis_channel_prefix,
        session=session,
        events=publish + outcome.realtime,
    )


async def reevaluate_players(
    *, resources: Resources, session: AsyncSession, fence_ids: set[uuid.UUID]
) -> int:
    """Re-run the players inside changed fences at their last position (fence edited,
    deactivated or deleted): those now surely outside get an exit (reason `fence_changed`,
    `fence_inactive` or `fence_deleted`); the others keep their visit and dwell timer.
    Returns how many events. Each player in their own transaction, under their lock."""
    from app.users import queries as user_queries

    engine = engine_of(resources)
    settings = resources.settings
    count = 0
    for user_id in await queries.players_in_fences(session, fence_ids):
        await queries.lock_player(session, user_id)
        user = await user_queries.get_user(session, user_id)
        last = await last_accepted_fix(session, user_id)
        if user is None or last is None:
            await session.commit()
            continue
        visits = await queries.get_visits(session, user_id)
        before = {f: Visit(v.entered_at, v.dwell_fired) for f, v in visits.items()}
        t = time.time()
        classified = engine.classify(
            last.lat, last.lng, margin_for(last.accuracy_m, settings), include=visits.keys(), at=t
        )
        # Only exits from the changed fences: entering other fences waits for a real fix.
        transitions = [
            tr
            for tr in step(visits, classified, t=t, fence=engine.get)
            if tr.type == "exit" and tr.fence_id in fence_ids
        ]
        visits = {f: v for f, v in before.items() if f not in {tr.fence_id for tr in transitions}}
        events = geo_events(
            engine, transitions, user=user, fix=last, reason_override="fence_changed"
        )
        if events:
            await queries.save_visits(session, user_id, before, visits, last.timestamp)
            await queries.add_events(session, [e.row() for e in events])
            await webhook_service.enqueue(session, events)
            for e in events:
                GEOFENCE_EVENTS.labels(e.type).inc()
        await session.commit()
        await after_commit(
            resources, session, [e.realtime() for e in events], challenge_service.ChallengeOutcome()
        )
        count += len(events)
    return count


async def my_position(*, session: AsyncSession, user: User) -> PositionOut:
    fix = await last_accepted_fix(session, user.id)
    if fix is None:
        raise NotFound("No accepted position yet")
    visits = await queries.get_visits(session, user.id)
    return PositionOut(
        lat=fix.lat,
        lng=fix.lng,
        accuracy_m=fix.accuracy_m,
        timestamp=fix.timestamp,
        fence_ids=sorted(visits),
    )


async def fence_event_log(
    *,
    resources: Resources,
    session: AsyncSession,
    user: User,
    fence_id: uuid.UUID,
    limit: int,
    before_id: int | None,
) -> GeofenceEventPage:
    info = engine_of(resources).get(fence_id)
    if info is None:
        raise NotFound("No such geofence")
    if info.owner_id != user.id and not user.is_admin:
        raise Forbidden("This geofence belongs to another user", details={"kind": "geofence"})
    rows = await queries.fence_events(session, fence_id, limit=limit, before_id=before_id)
    return GeofenceEventPage(
        items=[
            GeofenceEventOut(
                id=r.id,
                event_id=r.event_id,
                type=r.type,
                fence_id=r.fence_id,
                user_id=r.user_id,
                lat=r.lat,
                lng=r.lng,
                accuracy_m=r.accuracy_m,
                timestamp=r.fix_at,
                data=r.data,
            )
            for r in rows
        ]
    )
