"""From the event stream to sockets: the consumer-group reader and the per-type dispatch.

Each process runs one consumer of one group, so an event is handled by exactly one process;
its emits go through the Socket.IO manager (Redis pub/sub with the Redis manager), which
reaches sockets on every process. An entry is acknowledged after its emits; a process that
dies first leaves it pending, and another process reclaims it with XAUTOCLAIM once it has
been idle for `realtime_claim_idle_ms` (at-least-once: a crash between emit and XACK can
repeat an event, which the proximity state turns into a no-op for alerts).
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

import socketio
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from app.core.events import RealtimeEvent, events_stream
from app.placements.index import NearbyHit, PlacementIndex
from app.realtime import rooms
from app.realtime.emit_bus import Emit, EmitBus
from app.realtime.metrics import EVENT_AGE, STREAM_LAG, STREAM_PENDING
from app.realtime.positions import PositionStore, ProximityUpdate
from app.realtime.pubsub import RESUBSCRIBE_GRACE_S
from app.settings import Settings

log = logging.getLogger("cyberspace.realtime")

GROUP = "realtime"
InternalHandler = Callable[[RealtimeEvent], Awaitable[None]]
# Events a player gets because of where they are or what happened to them: "alerts".
ALERT_TYPES = frozenset(
    {
        "new_nft",
        "proximity_alert",
        "geofence_enter",
        "geofence_exit",
        "geofence_dwell",
        "challenge_progress",
        "challenge_completed",
    }
)


def _timestamp(raw: object) -> float:
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(raw).timestamp()
    return time.time()


def _consume_outcome(future: "asyncio.Future[Any]") -> None:
    # Entries read by an abandoned read stay pending and are reclaimed later.
    if not future.cancelled():
        future.exception()


def _entry_age_s(entry_id: str) -> float:
    return max(0.0, time.time() - int(entry_id.split("-", 1)[0]) / 1000)


class StreamFanout:
    def __init__(
        self,
        *,
        sio: socketio.AsyncServer,
        redis: Redis,
        settings: Settings,
        positions: PositionStore,
        index: Callable[[], PlacementIndex],
        bus: EmitBus,
        internal: Mapping[str, InternalHandler] | None = None,
    ) -> None:
        self.sio = sio
        self.bus = bus
        self.redis = redis
        self.settings = settings
        self.positions = positions
        self.index = index
        # Handlers of internal (`_`-prefixed) event types other features publish, by type.
        self.internal = dict(internal or {})
        self.stream = events_stream(settings.redis_channel_prefix)
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._queued: list[Emit] = []

    async def ensure_group(self) -> None:
        try:
            # "0", not "$": after a Redis restart producers may have re-created the stream
            # before this runs, and those first events are exactly the ones to deliver. Old
            # entries of a long-lived stream are skipped by age in handle_entries instead.
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self) -> None:
        """Read, dispatch, acknowledge; forever (cancelled at shutdown). Survives Redis
        outages: retries with backoff and re-creates the group when it is missing."""
        last_claim = 0.0
        group_ready = False
        backoff = 0.5
        outage = False
        me = asyncio.current_task()
        while True:
            # redis-py can swallow a cancellation that lands inside a command; honour it here.
            if me is not None and me.cancelling():
                raise asyncio.CancelledError
            try:
                if outage:
                    # Redis is back, but other processes' Socket.IO listeners may not have
                    # re-subscribed yet, and what is emitted before they have never reaches
                    # their sockets. Hold the events (they wait in the stream) that long.
                    await self.redis.ping()
                    await asyncio.sleep(RESUBSCRIBE_GRACE_S)
                    outage = False
                if not group_ready:
                    await self.ensure_group()
                    group_ready = True
                now = time.monotonic()
                if now - last_claim > self.settings.realtime_claim_idle_ms / 2000:
                    last_claim = now
                    await self.reclaim()
                    await self.update_gauges()
                    await self.positions.prune()
                batch = await self._read()
                # RESP2 answers [[stream, entries]], RESP3 {stream: entries}.
                streams = batch.items() if isinstance(batch, dict) else batch or []
                for _, entries in streams:
                    await self.handle_entries(entries)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # the stream was deleted (FLUSHDB): start over
                    group_ready = False
                    # Or Redis restarted empty, and the error was seen on a new connection:
                    # hold events as after an outage (needless after a mere FLUSHDB: 1 s).
                    outage = True
                    continue
                log.exception("event stream read failed")
                await asyncio.sleep(1)
            except (RedisError, OSError):
                log.warning("event stream unavailable; retrying in %.1fs", backoff)
                outage = True
                await asyncio.sleep(backoff)
                # Capped low: events wait in the stream until this loop is back.
                backoff = min(backoff * 2, 2.0)

    async def _read(self) -> Any:
        """XREADGROUP, shielded: cancelling redis-py in the middle of a blocking read can hang
        the cancelled task (seen at shutdown). On cancel the read is left to finish on its
        own (within realtime_read_block_ms) and the task exits at once."""
        read = asyncio.ensure_future(
            self.redis.xreadgroup(
                GROUP,
                self.consumer,
                {self.stream: ">"},
                count=self.settings.realtime_read_count,
                block=self.settings.realtime_read_block_ms,
            )
        )
        try:
            return await asyncio.shield(read)
        except asyncio.CancelledError:
            read.add_done_callback(_consume_outcome)
            raise

    async def reclaim(self) -> None:
        """Take over entries another consumer read but never acknowledged (it died)."""
        start = "0-0"
        while True:
            result = await self.redis.xautoclaim(
                self.stream,
                GROUP,
                self.consumer,
                min_idle_time=self.settings.realtime_claim_idle_ms,
                start_id=start,
                count=100,
            )
            start_raw, entries = result[0], result[1]
            live = [(i, f) for i, f in entries if f is not None]
            if live:
                log.info("reclaimed %d pending events", len(live))
                await self.handle_entries(live)
            start = start_raw.decode() if isinstance(start_raw, bytes) else str(start_raw)
            if start == "0-0":
                return

    async def update_gauges(self) -> None:
        with contextlib.suppress(RedisError, ResponseError):
            for group in await self.redis.xinfo_groups(self.stream):
                name = group.get("name")
                if name in (GROUP, GROUP.encode()):
                    lag = group.get("lag")
                    STREAM_LAG.set(float(lag) if lag is not None else 0.0)
                    STREAM_PENDING.set(float(group.get("pending", 0)))

    async def handle_entries(self, entries: list[tuple[Any, dict[Any, Any]]]) -> None:
        """Dispatch in stream order, except that every location event of the read goes in
        one batch at the end (one Redis round trip for all their alert state, in stream
        order; a player's fixes keep their order, and alerts need no order against other
        events). Flushing at each other event cost a round trip, and a turn of a busy event
        loop, per run. XACK what was handled."""
        done: list[str] = []
        run: list[tuple[str, RealtimeEvent]] = []
        try:
            for raw_id, fields in entries:
                entry_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
                if _entry_age_s(entry_id) > self.settings.realtime_max_event_age_s:
                    # A real-time alert that late is noise; the durable log keeps the record.
                    done.append(entry_id)
                    continue
                raw = fields.get(b"event", fields.get("event"))
                try:
                    event = RealtimeEvent.decode(raw) if raw is not None else None
                except Exception:
                    log.exception("dropping malformed event %s", entry_id)
                    event = None
                if event is not None and event.type == "_location_accepted":
                    run.append((entry_id, event))
                    continue
                await self._dispatch_one(entry_id, event)
                done.append(entry_id)
            await self._flush_locations(run, done)
        finally:
            # The batch's emits, then one XACK; what failed stays pending for XAUTOCLAIM.
            await self.send_queued()
            if done:
                await self.redis.xack(self.stream, GROUP, *done)

    async def _dispatch_one(self, entry_id: str, event: RealtimeEvent | None) -> None:
        if event is None:
            return
        try:
            await self.dispatch(event)
            EVENT_AGE.observe(_entry_age_s(entry_id))
        except (RedisError, OSError):
            raise  # not acknowledged: reclaimed and retried later
        except Exception:
            # A bad event must not block the stream forever.
            log.exception("dropping event %s that failed to dispatch", entry_id)

    async def _flush_locations(self, run: list[tuple[str, RealtimeEvent]], done: list[str]) -> None:
        if not run:
            return
        batch = list(run)
        run.clear()
        try:
            await self.on_locations([fix for _, event in batch for fix in event.data["fixes"]])
        except (RedisError, OSError):
            raise
        except Exception:
            log.exception("dropping %d location events that failed to dispatch", len(batch))
        for entry_id, _ in batch:
            EVENT_AGE.observe(_entry_age_s(entry_id))
            done.append(entry_id)

    async def emit(self, event: str, data: dict[str, Any], to: list[str] | str) -> None:
        """Queue an emit; `handle_entries` sends a batch's emits together (one pub/sub
        message for the other processes, app/realtime/emit_bus.py) before it acknowledges
        the batch."""
        self._queued.append((event, data, to))

    async def send_queued(self) -> None:
        """Send the emits queued so far (each once, whoever calls this first)."""
        queued, self._queued = self._queued, []
        await self.bus.send(queued)

    async def dispatch(self, event: RealtimeEvent) -> None:
        if event.type == "_location_accepted":
            await self.on_locations(event.data["fixes"])
            return
        if event.type.startswith("_"):
            handler = self.internal.get(event.type)
            if handler is not None:
                await handler(event)
            return  # internal events are never sent to clients as such
        targets = [rooms.user(u) for u in event.user_ids]
        if event.space_id is not None:
            targets.append(rooms.space(event.space_id))
        if event.near is not None:
            lat, lng = event.near
            near = await self.positions.users_near(lat, lng, self.settings.new_nft_radius_m)
            targets.extend(rooms.user(u.user_id) for u in near)
        if targets:
            # One emit to a list of rooms: a socket in several of them gets it once.
            await self.emit(event.type, event.data, list(dict.fromkeys(targets)))

    async def on_locations(self, fixes: list[dict[str, Any]]) -> None:
        radius = self.settings.proximity_alert_radius_m
        outer_radius = radius * self.settings.proximity_rearm_factor
        index = self.index()
        updates: list[ProximityUpdate] = []
        inners: list[list[NearbyHit]] = []
        lats = [float(data["lat"]) for data in fixes]
        lngs = [float(data["lng"]) for data in fixes]
        pages = index.within_many(
            lats, lngs, radius_m=outer_radius, limit=self.settings.proximity_max_objects
        )
        for data, lat, lng, found in zip(fixes, lats, lngs, pages, strict=True):
            inner = [h for h in found.hits if h.distance_m <= radius]
            inners.append(inner)
            updates.append(
                ProximityUpdate(
                    user_id=str(data["user_id"]),
                    lat=lat,
                    lng=lng,
                    timestamp=_timestamp(data.get("timestamp")),
                    inner_ids=[h.id for h in inner],
                    outer_ids=[h.id for h in found.hits],
                    truncated=found.has_more,
                )
            )
        results = await self.positions.apply_proximity(updates)
        for data, update, inner, fresh in zip(fixes, updates, inners, results, strict=True):
            if not fresh:
                continue
            wanted = set(fresh)
            for hit in inner:
                if hit.id not in wanted:
                    continue
                await self.emit(
                    "proximity_alert",
                    {
                        "id": hit.id,
                        "kind": hit.kind,
                        "title": hit.title,
                        "lat": hit.lat,
                        "lng": hit.lng,
                        "distance_m": round(hit.distance_m, 2),
                        "bearing_deg": round(hit.bearing_deg % 360.0, 2),
                        # The fix that caused it, so clients (and the bench) can measure.
                        "fix_timestamp": data.get("timestamp"),
                    },
                    rooms.user(update.user_id),
                )
