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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.challenges import service as challenge_service
from app.core.driver import Driver, driver
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
from app.users.refs import UserRef
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


def classify_players(
    engine: GeofenceEngine, players: Sequence["_Player"], settings: Settings
) -> list[list[Classification]]:
    """Classify every accepted fix of every player in one vectorised engine call.

    Each fix must be tested against its player's fences at that moment (to tell "left" from
    "in the border band"), which depends on the fixes before it. Testing against a superset
    is just as exact, so: one call with the fences each player held before, and a second one
    only for the players some of whose fixes found a fence outside that set (they entered
    something). A fence's active window is judged at its player's last fix time (within the
    allowed age): pairs are independent, so dropping inactive fences afterwards gives what
    asking the engine per player would.
    """
    owners = [k for k, p in enumerate(players) for _ in p.accepted]
    fixes = [f for p in players for _, f, _ in p.accepted]
    out: list[list[Classification]] = [[] for _ in players]
    if not fixes:
        return out
    held = [set(p.visits) for p in players]
    lats = [f.lat for f in fixes]
    lngs = [f.lng for f in fixes]
    margins = [margin_for(f.accuracy_m, settings) for f in fixes]
    found = engine.classify_batch(lats, lngs, margins, [held[k] for k in owners])
    entered = {k for k, c in zip(owners, found, strict=True) if not c.inside <= held[k]}
    if entered:
        # Per such player: the fences held before plus every fence any of their fixes is in.
        wider = {k: set(held[k]) for k in entered}
        for k, c in zip(owners, found, strict=True):
            if k in wider:
                wider[k] |= c.inside
        again = [j for j, k in enumerate(owners) if k in wider]
        redone = engine.classify_batch(
            [lats[j] for j in again],
            [lngs[j] for j in again],
            [margins[j] for j in again],
            [wider[owners[j]] for j in again],
        )
        for j, c in zip(again, redone, strict=True):
            found[j] = c
    for k, c in zip(owners, found, strict=True):
        out[k].append(c)
    for k, p in enumerate(players):
        at = p.accepted[-1][1].timestamp.timestamp() if p.accepted else 0.0
        out[k] = [_active_only(engine, c, at) for c in out[k]]
    return out


def _active_only(engine: GeofenceEngine, c: Classification, at: float) -> Classification:
    def active(fence_id: uuid.UUID) -> bool:
        info = engine.get(fence_id)
        return info is not None and info.is_active_at(at)

    if all(active(f) for f in c.inside) and all(active(f) for f in c.border):
        return c
    return Classification(
        inside={f for f in c.inside if active(f)}, border={f for f in c.border if active(f)}
    )


def geo_events(
    engine: GeofenceEngine,
    transitions: list[Transition],
    *,
    user: UserRef,
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


@dataclass(frozen=True)
class PlayerUpdates:
    """One player's part of an ingest: who, and their updates in arrival order."""

    user: UserRef
    updates: list[LocationUpdateIn]


@dataclass
class _Player:
    """One player's updates on their way through an ingest."""

    user: UserRef
    stamps: list[datetime]
    results: list[UpdateResult | None]
    # (index in the request, the fix, the update), in time order
    accepted: list[tuple[int, Fix, LocationUpdateIn]]
    visits: dict[uuid.UUID, Visit]
    before: dict[uuid.UUID, Visit]
    events: list[GeoEvent] = field(default_factory=list)


async def ingest_updates(
    *,
    resources: Resources,
    session: AsyncSession,
    user: UserRef,
    updates: list[LocationUpdateIn],
) -> list[UpdateResult]:
    """One player's batch of updates (POST /api/locations); see `ingest_many`."""
    settings = resources.settings
    if len(updates) > settings.location_max_batch:
        raise InvalidInput(
            f"At most {settings.location_max_batch} updates per request",
            details={"max_batch": settings.location_max_batch, "got": len(updates)},
        )
    batches = [PlayerUpdates(user, updates)]
    return (await ingest_many(resources=resources, session=session, batches=batches))[0]


async def ingest_many(
    *,
    resources: Resources,
    session: AsyncSession,
    batches: Sequence[PlayerUpdates],
    on_fixes: Callable[[list[dict[str, Any]]], None] | None = None,
    on_results: Callable[[list[list[UpdateResult]]], None] | None = None,
) -> list[list[UpdateResult]]:
    """Check, store and run several players' updates through the engine in one transaction,
    under all their locks: the database round trips are per call, not per player, which is
    what lets one process keep up with thousands of Socket.IO updates a second. Commits,
    then publishes. One entry per player; results come back in the same order.

    The accepted fixes (for proximity alerts) go on the event stream as one
    `_location_accepted` event, or, with `on_fixes`, to that callable as soon as plausibility
    has accepted them, before the writes and the commit (the Socket.IO server applies its own
    players' fixes in process, so their alerts do not wait for the batch's remaining round
    trips; should the transaction then fail, the player was told of objects near a position
    the ack reports as not stored, and their next fix is checked against the stored one as
    usual). `on_results` gets the
    results as soon as they are committed, before the events are published and rewards
    handed out (the Socket.IO batcher answers its callers then: a publish is a round trip,
    and the answer does not depend on it)."""
    ids = [b.user.id for b in batches]
    if len(set(ids)) != len(ids):
        raise ValueError("ingest_many takes one entry per player")
    settings = resources.settings
    engine = engine_of(resources)
    now = datetime.now(UTC)
    conn = await driver(session)
    states = await queries.lock_and_read_states(conn, ids)
    players = [_plausible(b, states.get(b.user.id), now=now, settings=settings) for b in batches]
    for player, classified in zip(
        players, classify_players(engine, players, settings), strict=True
    ):
        _transitions(engine, player, classified)

    moved = [p for p in players if p.accepted]
    publish: list[RealtimeEvent] = []
    outcomes: dict[uuid.UUID, challenge_service.ChallengeOutcome] = {}
    fixes = [
        {
            "user_id": str(p.user.id),
            "lat": f.lat,
            "lng": f.lng,
            "accuracy_m": f.accuracy_m,
            "timestamp": f.timestamp.isoformat(),
        }
        for p in moved
        for _, f, _ in p.accepted
    ]
    if fixes and on_fixes is not None:
        # Proximity alerts depend on where the player is, not on the fix being stored: they
        # start now, while the writes and the commit (most of a batch's round trips) go on.
        on_fixes(fixes)
    if moved:
        await _store(conn, moved, now=now, settings=settings)
        await record_transitions(
            session,
            [
                queries.VisitChange(p.user.id, p.before, p.visits, p.accepted[-1][1].timestamp)
                for p in moved
            ],
            [e for p in moved for e in p.events],
        )
        # Challenges move only on events, or on time spent inside a fence (dwell goals): a
        # player outside every fence with nothing happening costs no challenge query.
        moves = [
            challenge_service.PlayerMove(p.user, p.events, p.visits, p.accepted[-1][1].timestamp)
            for p in moved
            if p.events or p.visits
        ]
        if moves:
            outcomes = await challenge_service.on_locations(session=session, moves=moves)
        for p in moved:
            publish.extend(_realtime_events(engine, p))
        if on_fixes is None:
            # Every accepted fix of the call in one internal event (proximity alerts): one
            # stream entry per batch rather than one per fix.
            publish.append(RealtimeEvent(type="_location_accepted", data={"fixes": fixes}))
    await session.commit()
    # Challenge events belong to the update that caused them: the player's last accepted one.
    for p in moved:
        outcome = outcomes.get(p.user.id)
        target = p.results[p.accepted[-1][0]]
        if outcome is not None and target is not None:
            target.events.extend(outcome.events)
    results = [[r for r in p.results if r is not None] for p in players]
    if on_results is not None:
        on_results(results)
    await after_commit(
        resources, session, publish, challenge_service.ChallengeOutcome.merged(outcomes.values())
    )
    return results


def _plausible(
    batch: PlayerUpdates,
    state: queries.PlayerState | None,
    *,
    now: datetime,
    settings: Settings,
) -> _Player:
    """Plausibility first (each fix against the last accepted one), in time order: a phone's
    buffered batch may come in any order."""
    updates = batch.updates
    stamps = [u.timestamp or now for u in updates]
    visits = {} if state is None else state.visits
    position = None if state is None else state.position
    last = (
        None
        if position is None
        else Fix(position.lat, position.lng, position.accuracy_m, position.fix_at)
    )
    player = _Player(
        user=batch.user,
        stamps=stamps,
        results=[None] * len(updates),
        accepted=[],
        visits=visits,
        before={f: Visit(v.entered_at, v.dwell_fired) for f, v in visits.items()},
    )
    for i in sorted(range(len(updates)), key=lambda k: (stamps[k], k)):
        update, at = updates[i], stamps[i]
        reason = check_fix(update, at, last, now=now, settings=settings)
        if reason is not None:
            LOCATION_UPDATES.labels(reason).inc()
            player.results[i] = UpdateResult(index=i, accepted=False, reason=reason)
            continue
        last = Fix(update.lat, update.lng, update.accuracy_m, at)
        player.accepted.append((i, last, update))
    return player


def _transitions(engine: GeofenceEngine, player: _Player, classified: list[Classification]) -> None:
    for (i, fix, _), c in zip(player.accepted, classified, strict=True):
        transitions = step(player.visits, c, t=fix.timestamp.timestamp(), fence=engine.get)
        caused = geo_events(engine, transitions, user=player.user, fix=fix)
        player.events.extend(caused)
        LOCATION_UPDATES.labels("accepted").inc()
        player.results[i] = UpdateResult(
            index=i, accepted=True, events=[_event_out(e) for e in caused]
        )


async def _store(
    conn: Driver, moved: Sequence[_Player], *, now: datetime, settings: Settings
) -> None:
    positions = []
    for p in moved:
        _, fix, update = p.accepted[-1]
        positions.append(
            queries.NewPosition(
                user_id=p.user.id,
                lat=fix.lat,
                lng=fix.lng,
                accuracy_m=fix.accuracy_m,
                speed_mps=update.speed_mps,
                heading_deg=update.heading_deg,
                fix_at=fix.timestamp,
                received_at=now,
            )
        )
    history = [
        queries.NewFix(p.user.id, f.lat, f.lng, f.accuracy_m, f.timestamp)
        for p in moved
        for _, f, _ in p.accepted
    ]
    await queries.save_fixes(
        conn, positions=positions, history=history, keep=settings.location_history_size
    )


async def record_transitions(
    session: AsyncSession, changes: Sequence[queries.VisitChange], events: list[GeoEvent]
) -> None:
    """In the caller's transaction: the players' visit changes, the durable event log and
    the webhook deliveries of those events (every path that decides transitions ends here)."""
    rows = [{**e.row(), "payload": webhook_service.payload_of(e)} for e in events]
    await queries.save_transitions(session, changes, rows)
    for e in events:
        GEOFENCE_EVENTS.labels(e.type).inc()


def _realtime_events(engine: GeofenceEngine, p: _Player) -> list[RealtimeEvent]:
    """What the real-time side gets for one player besides the accepted fixes: the geofence
    events, and the position for the organizers of the fences the player is in."""
    out = [e.realtime() for e in p.events]
    user = p.user
    owners = {
        str(info.owner_id)
        for f in p.visits
        if (info := engine.get(f)) is not None and info.owner_id is not None
    }
    if owners:
        _, fix, _ = p.accepted[-1]
        out.append(
            RealtimeEvent(
                type="player_position",
                data={
                    "user_id": str(user.id),
                    "username": user.username,
                    "lat": fix.lat,
                    "lng": fix.lng,
                    "accuracy_m": fix.accuracy_m,
                    "timestamp": fix.timestamp.isoformat(),
                    "fence_ids": sorted(str(f) for f in p.visits),
                },
                user_ids=tuple(sorted(owners)),
            )
        )
    return out


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
            await record_transitions(
                session, [queries.VisitChange(user_id, before, visits, last.timestamp)], events
            )
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
