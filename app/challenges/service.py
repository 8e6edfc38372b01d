"""Challenges: creation on an organizer's fences, joining, progress from geofence events,
completion (awarded once), rewards through app.nfts, leaderboards in Redis sorted sets.

Progress lives in PostgreSQL (`challenge_participants`), written in the same transaction as
the location update that caused it, so it survives restarts and is never counted twice (the
location service holds the player's lock and refuses repeated fixes). Redis only holds the
ranking, rebuilt from PostgreSQL when its key is missing.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from app.challenges import queries
from app.challenges.models import Challenge, ChallengeParticipant
from app.challenges.schemas import (
    ChallengeIn,
    LeaderboardEntry,
    LeaderboardOut,
    ParticipantOut,
)
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.events import RealtimeEvent
from app.core.outbox import publish_or_defer
from app.geofences.component import GeofenceComponent
from app.locations.events import GeoEvent
from app.locations.schemas import EventOut
from app.locations.transitions import Visit
from app.nfts.rewards import award_nft
from app.resources import Resources
from app.users.models import User
from app.users.refs import UserRef

log = logging.getLogger("cyberspace.challenges")

CHALLENGE_EVENTS = Counter(
    "cyberspace_challenge_events_total", "Challenge progress steps and completions", ["type"]
)
CHALLENGE_REWARDS = Counter(
    "cyberspace_challenge_rewards_total", "Reward attempts by outcome", ["outcome"]
)

# Score = progress * SCALE + (SCALE - time of the last step): more progress first, then who
# got there first. Unix seconds stay far below SCALE; doubles are exact to 2**53.
_SCALE = 1e10


@dataclass
class ChallengeOutcome:
    realtime: list[RealtimeEvent] = field(default_factory=list)
    events: list[EventOut] = field(default_factory=list)
    scores: list[tuple[uuid.UUID, uuid.UUID, float]] = field(default_factory=list)
    rewards: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)

    @classmethod
    def merged(cls, outcomes: Iterable["ChallengeOutcome"]) -> "ChallengeOutcome":
        out = cls()
        for o in outcomes:
            out.realtime.extend(o.realtime)
            out.events.extend(o.events)
            out.scores.extend(o.scores)
            out.rewards.extend(o.rewards)
        return out


def leaderboard_key(prefix: str, challenge_id: uuid.UUID) -> str:
    return f"{prefix}:challenges:{challenge_id}:leaderboard"


def score_of(p: ChallengeParticipant) -> float:
    at = p.last_progress_at or p.joined_at or datetime.now(UTC)
    return p.progress * _SCALE + (_SCALE - at.timestamp())


def _in_window(c: Challenge, at: datetime) -> bool:
    return (c.starts_at is None or at >= c.starts_at) and (c.ends_at is None or at < c.ends_at)


def participant_out(c: Challenge, p: ChallengeParticipant) -> ParticipantOut:
    return ParticipantOut(
        challenge_id=c.id,
        user_id=p.user_id,
        joined_at=p.joined_at,
        progress=p.progress,
        goal=c.goal,
        state=p.state or {},
        completed_at=p.completed_at,
        reward_status=p.reward_status,
        reward_nft_id=p.reward_nft_id,
    )


# --- organizer and player operations ------------------------------------------------------


async def create_challenge(
    *, resources: Resources, session: AsyncSession, owner: User, body: ChallengeIn
) -> Challenge:
    engine = resources.component(GeofenceComponent).engine
    for fence_id in body.fence_ids:
        info = engine.get(fence_id)
        if info is None:
            raise InvalidInput("Unknown geofence", details={"fence_id": str(fence_id)})
        if info.owner_id != owner.id and not owner.is_admin:
            raise Forbidden(
                "Challenges can only use your own geofences", details={"fence_id": str(fence_id)}
            )
    challenge = Challenge(
        id=uuid.uuid4(),
        owner_id=owner.id,
        name=body.name,
        description=body.description,
        kind=body.kind,
        fence_ids=list(body.fence_ids),
        ordered=body.ordered,
        dwell_seconds=body.dwell_seconds,
        collect_count=body.collect_count,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        max_participants=body.max_participants,
        reward=body.reward.model_dump() if body.reward else None,
    )
    session.add(challenge)
    await session.commit()
    await session.refresh(challenge)
    return challenge


async def get_challenge(session: AsyncSession, challenge_id: uuid.UUID) -> Challenge:
    challenge = await queries.get_challenge(session, challenge_id)
    if challenge is None:
        raise NotFound("No such challenge")
    return challenge


async def delete_challenge(
    *, resources: Resources, session: AsyncSession, user: User, challenge_id: uuid.UUID
) -> None:
    challenge = await get_challenge(session, challenge_id)
    if challenge.owner_id != user.id and not user.is_admin:
        raise Forbidden("This challenge belongs to another user", details={"kind": "challenge"})
    await session.delete(challenge)
    await session.commit()
    await resources.redis.delete(
        leaderboard_key(resources.settings.redis_channel_prefix, challenge_id)
    )


async def join(
    *, resources: Resources, session: AsyncSession, user: User, challenge_id: uuid.UUID
) -> ParticipantOut:
    """Join (idempotent: joining again answers the current progress)."""
    # The row lock serialises joins, so the participant limit holds under concurrency.
    challenge = await queries.get_challenge(session, challenge_id, lock=True)
    if challenge is None:
        raise NotFound("No such challenge")
    existing = await queries.get_participant(session, challenge_id, user.id)
    if existing is not None:
        await session.commit()
        return participant_out(challenge, existing)
    now = datetime.now(UTC)
    if challenge.ends_at is not None and now >= challenge.ends_at:
        raise Conflict(
            "This challenge has ended", details={"ends_at": challenge.ends_at.isoformat()}
        )
    limit = challenge.max_participants
    if limit is not None and await queries.count_participants(session, challenge_id) >= limit:
        raise Conflict("This challenge is full", details={"max_participants": limit})
    participant = ChallengeParticipant(
        challenge_id=challenge_id, user_id=user.id, joined_at=now, progress=0, state={}
    )
    session.add(participant)
    await session.commit()
    await resources.redis.zadd(
        leaderboard_key(resources.settings.redis_channel_prefix, challenge_id),
        {str(user.id): score_of(participant)},
    )
    return participant_out(challenge, participant)


async def my_progress(
    *, session: AsyncSession, user: User, challenge_id: uuid.UUID
) -> ParticipantOut:
    challenge = await get_challenge(session, challenge_id)
    participant = await queries.get_participant(session, challenge_id, user.id)
    if participant is None:
        raise NotFound("You have not joined this challenge")
    return participant_out(challenge, participant)


async def leaderboard(
    *, resources: Resources, session: AsyncSession, challenge_id: uuid.UUID, limit: int
) -> LeaderboardOut:
    challenge = await get_challenge(session, challenge_id)
    key = leaderboard_key(resources.settings.redis_channel_prefix, challenge_id)
    if not await resources.redis.exists(key):
        # Redis lost it (restart without persistence, eviction): PostgreSQL has every score.
        participants = await queries.all_participants(session, challenge_id)
        if participants:
            await resources.redis.zadd(key, {str(p.user_id): score_of(p) for p in participants})
    ranked = await resources.redis.zrevrange(key, 0, limit - 1)
    ids = [uuid.UUID(r.decode() if isinstance(r, bytes) else str(r)) for r in ranked]
    rows = await queries.participants_with_names(session, challenge_id, ids)
    items: list[LeaderboardEntry] = []
    for user_id in ids:
        if user_id not in rows:
            continue  # left or removed since; the next rebuild drops it
        p, username = rows[user_id]
        items.append(
            LeaderboardEntry(
                rank=len(items) + 1,
                user_id=user_id,
                username=username,
                progress=p.progress,
                goal=challenge.goal,
                completed_at=p.completed_at,
            )
        )
    return LeaderboardOut(challenge_id=challenge_id, goal=challenge.goal, items=items)


# --- progress ---------------------------------------------------------------------------


def _advance(
    outcome: ChallengeOutcome,
    c: Challenge,
    p: ChallengeParticipant,
    *,
    user: UserRef,
    at: datetime,
    state: dict[str, Any],
    progress: int,
    fence_id: uuid.UUID | None,
) -> None:
    p.state = state  # a new dict, so SQLAlchemy sees the JSONB change
    p.progress = progress
    p.last_progress_at = at
    base = {
        "challenge_id": str(c.id),
        "challenge_name": c.name,
        "user_id": str(user.id),
        "username": user.username,
        "progress": progress,
        "goal": c.goal,
    }
    audience = (str(user.id),)
    progress_data = {**base, "fence_id": str(fence_id) if fence_id else None}
    outcome.realtime.append(RealtimeEvent("challenge_progress", progress_data, user_ids=audience))
    outcome.events.append(
        EventOut(
            type="challenge_progress",
            event_id=uuid.uuid4().hex,
            challenge_id=str(c.id),
            fence_id=str(fence_id) if fence_id else None,
            data=progress_data,
        )
    )
    CHALLENGE_EVENTS.labels("challenge_progress").inc()
    if progress >= c.goal and p.completed_at is None:
        p.completed_at = at
        p.reward_status = "pending" if c.reward else "none"
        done = {**base, "completed_at": at.isoformat(), "reward_status": p.reward_status}
        outcome.events.append(
            EventOut(
                type="challenge_completed",
                event_id=uuid.uuid4().hex,
                challenge_id=str(c.id),
                data=done,
            )
        )
        outcome.rewards.append((c.id, user.id))
        CHALLENGE_EVENTS.labels("challenge_completed").inc()
    outcome.scores.append((c.id, user.id, score_of(p)))


@dataclass(frozen=True)
class PlayerMove:
    """What a location update did for one player: its geofence events and current visits."""

    user: UserRef
    events: list[GeoEvent]
    visits: dict[uuid.UUID, Visit]
    last_t: datetime


async def on_locations(
    *, session: AsyncSession, moves: Sequence[PlayerMove]
) -> dict[uuid.UUID, ChallengeOutcome]:
    """Advance the players' checkpoint and dwell challenges (called in the updates'
    transaction): one indexed query for all of them, usually returning nothing."""
    by_user = {m.user.id: m for m in moves}
    outcomes: dict[uuid.UUID, ChallengeOutcome] = {}
    if not by_user:
        return outcomes
    parts = await queries.active_participations(
        session, list(by_user), kinds=("checkpoints", "dwell")
    )
    for c, p in parts:
        move = by_user[p.user_id]
        outcome = outcomes.setdefault(p.user_id, ChallengeOutcome())
        _advance_on_location(outcome, c, p, move)
    return outcomes


def _advance_on_location(
    outcome: ChallengeOutcome, c: Challenge, p: ChallengeParticipant, move: PlayerMove
) -> None:
    user, events, visits, last_t = move.user, move.events, move.visits, move.last_t
    if c.kind == "checkpoints":
        visited = list(p.state.get("visited", []))
        for e in events:
            if e.type != "geofence_enter" or not _in_window(c, e.fix_at) or p.completed_at:
                continue
            f = str(e.fence_id)
            if c.ordered:
                if len(visited) < len(c.fence_ids) and e.fence_id == c.fence_ids[len(visited)]:
                    visited.append(f)
                else:
                    continue
            elif e.fence_id in c.fence_ids and f not in visited:
                visited.append(f)
            else:
                continue
            _advance(
                outcome,
                c,
                p,
                user=user,
                at=e.fix_at,
                state={"visited": list(visited)},
                progress=len(visited),
                fence_id=e.fence_id,
            )
    elif c.kind == "dwell" and c.dwell_seconds and _in_window(c, last_t):
        for fence_id in c.fence_ids:
            visit = visits.get(fence_id)
            if visit is None:
                continue
            since = max(visit.entered_at, p.joined_at.timestamp())
            if c.starts_at is not None:
                since = max(since, c.starts_at.timestamp())
            if last_t.timestamp() - since >= c.dwell_seconds:
                _advance(
                    outcome,
                    c,
                    p,
                    user=user,
                    at=last_t,
                    state={"fence_id": str(fence_id), "seconds": c.dwell_seconds},
                    progress=1,
                    fence_id=fence_id,
                )
                break


async def record_claim(
    *,
    resources: Resources,
    session: AsyncSession,
    user_id: uuid.UUID,
    lat: float,
    lng: float,
    claimed_at: datetime,
    nft_id: str,
) -> None:
    """A claim committed by app.claims: count it for the player's collect challenges whose
    fences contain the claim point. Commits and publishes itself."""
    from app.users import queries as user_queries

    parts = await queries.active_participations(session, [user_id], kinds=("collect",))
    user = await user_queries.get_user(session, user_id) if parts else None
    if not parts or user is None:
        await session.commit()
        return
    inside = resources.component(GeofenceComponent).engine.containing(lat, lng, at=claimed_at)
    outcome = ChallengeOutcome()
    for c, p in parts:
        collected = list(p.state.get("collected", []))
        hits = [f for f in c.fence_ids if f in inside]
        if not hits or nft_id in collected or not _in_window(c, claimed_at):
            continue
        collected.append(nft_id)
        _advance(
            outcome,
            c,
            p,
            user=user,
            at=claimed_at,
            state={"collected": collected},
            progress=len(collected),
            fence_id=hits[0],
        )
    await session.commit()
    await after_commit(resources=resources, session=session, outcome=outcome)
    await publish_or_defer(
        redis=resources.redis,
        prefix=resources.settings.redis_channel_prefix,
        session=session,
        events=outcome.realtime,
    )


# --- after commit: leaderboards and rewards -----------------------------------------------


async def after_commit(
    *, resources: Resources, session: AsyncSession, outcome: ChallengeOutcome
) -> None:
    prefix = resources.settings.redis_channel_prefix
    if outcome.scores:
        async with resources.redis.pipeline(transaction=False) as pipe:
            for challenge_id, user_id, score in outcome.scores:
                pipe.zadd(leaderboard_key(prefix, challenge_id), {str(user_id): score})
            await pipe.execute()
    for challenge_id, user_id in outcome.rewards:
        status, nft_id = await award(
            resources=resources, session=session, challenge_id=challenge_id, user_id=user_id
        )
        challenge = await queries.get_challenge(session, challenge_id)
        name = challenge.name if challenge else ""
        outcome.realtime.append(
            RealtimeEvent(
                "challenge_completed",
                {
                    "challenge_id": str(challenge_id),
                    "challenge_name": name,
                    "user_id": str(user_id),
                    "completed_at": datetime.now(UTC).isoformat(),
                    "reward_status": status,
                    "reward_nft_id": nft_id,
                },
                user_ids=(str(user_id),),
            )
        )


async def award(
    *, resources: Resources, session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[str, str | None]:
    """Award a completed participant's reward once; returns (reward_status, nft id).

    The participant row is locked and must still be `pending`, so concurrent retries cannot
    award twice. If minting fails (chain unreachable), it stays `pending` with the error
    recorded, and `award_pending` retries it later.
    """
    p = await queries.get_participant(session, challenge_id, user_id, lock=True)
    challenge = await queries.get_challenge(session, challenge_id)
    if p is None or challenge is None or p.reward_status != "pending" or not challenge.reward:
        await session.commit()
        return (p.reward_status if p else "none"), (p.reward_nft_id if p else None)
    try:
        nft_id = await award_nft(
            resources=resources,
            session=session,
            user_id=user_id,
            name=str(challenge.reward.get("name") or challenge.name),
            metadata={
                **dict(challenge.reward.get("metadata") or {}),
                "challenge_id": str(challenge_id),
            },
        )
    except Exception as exc:
        log.warning("reward for challenge %s failed", challenge_id, exc_info=True)
        await session.rollback()
        p = await queries.get_participant(session, challenge_id, user_id, lock=True)
        if p is not None:
            p.reward_error = f"{type(exc).__name__}: {exc}"[:500]
        await session.commit()
        CHALLENGE_REWARDS.labels("failed").inc()
        return "pending", None
    p.reward_status = "awarded"
    p.reward_nft_id = str(nft_id)
    p.reward_error = None
    await session.commit()
    CHALLENGE_REWARDS.labels("awarded").inc()
    return "awarded", str(nft_id)


async def award_pending(*, resources: Resources, session: AsyncSession, limit: int = 50) -> int:
    """Retry rewards left pending; returns how many were awarded now."""
    done = 0
    for challenge_id, user_id in await queries.pending_rewards(session, limit):
        status, _ = await award(
            resources=resources, session=session, challenge_id=challenge_id, user_id=user_id
        )
        done += status == "awarded"
    return done
