"""Socket.IO location updates, ingested in batches.

Every `location_update` message used to be its own transaction: a user lookup, the player's
lock, state, writes and a commit — about eight database round trips, which capped one process
at ~160 updates a second. Here messages wait in a queue while a batch is in flight, and the
next batch takes everything waiting (up to `realtime_location_batch_max`), so the round trips
are per batch. A batch waits `realtime_location_linger_ms` after its first update for others
to join (a batch's fixed cost is most of an update's at moderate load), and batches grow
further as updates arrive faster than one batch takes.

A player's updates from several sockets in one batch are ingested together (their own order
is kept by the plausibility check). Each caller gets its own result, or the batch's error:
`submit` awaits it; `enqueue` leaves a reply token instead, and the batch hands all its
tokens with their outcomes to `on_replies` in one task (the Socket.IO server answers its
sockets from there, without a waiting task per message).
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.errors import Forbidden
from app.locations.schemas import LocationUpdateIn, UpdateResult
from app.locations.service import PlayerUpdates, ingest_many
from app.realtime.metrics import LOCATION_BATCH_SECONDS, LOCATION_BATCH_SIZE
from app.resources import Resources
from app.users import queries as user_queries

log = logging.getLogger("cyberspace.realtime")


Outcome = UpdateResult | Exception


@dataclass
class _Pending:
    user_id: uuid.UUID
    update: LocationUpdateIn
    # Either a future its caller awaits (submit), or a token for on_replies (enqueue).
    result: "asyncio.Future[UpdateResult] | None" = None
    reply: Any = None
    answered: bool = False

    def settle(self, outcome: Outcome, replies: list[tuple[Any, Outcome]]) -> None:
        self.answered = True
        if self.result is None:
            replies.append((self.reply, outcome))
        elif self.result.done():
            pass  # a caller that went away (socket closed) has cancelled its future
        elif isinstance(outcome, Exception):
            self.result.set_exception(outcome)
        else:
            self.result.set_result(outcome)


class LocationBatcher:
    def __init__(
        self, resources: Resources, *, max_batch: int, workers: int, linger_ms: float = 0.0
    ) -> None:
        self.resources = resources
        self.max_batch = max_batch
        self.linger_s = linger_ms / 1000
        self.workers = workers
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._inflight: set[asyncio.Future[None]] = set()
        # Where accepted fixes go for proximity alerts (app/realtime/local_proximity.py);
        # None: on the event stream, like REST updates.
        self.on_fixes: Callable[[list[dict[str, Any]]], None] | None = None
        # Where the outcomes of `enqueue`d updates go, with their reply tokens.
        self.on_replies: Callable[[list[tuple[Any, Outcome]]], Awaitable[None]] | None = None
        self._replying: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._work(), name=f"location-batcher-{i}")
                for i in range(self.workers)
            ]

    async def submit(self, user_id: uuid.UUID, update: LocationUpdateIn) -> UpdateResult:
        """Queue one update and wait for its result (raises what the ingest raised)."""
        self.start()
        result: asyncio.Future[UpdateResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(user_id, update, result=result))
        return await result

    def enqueue(self, user_id: uuid.UUID, update: LocationUpdateIn, reply: Any) -> None:
        """Queue one update; its outcome goes to `on_replies` with `reply`."""
        self.start()
        self._queue.put_nowait(_Pending(user_id, update, reply=reply))

    def _send_replies(self, replies: list[tuple[Any, Outcome]]) -> None:
        if replies and self.on_replies is not None:
            task = asyncio.ensure_future(self.on_replies(replies))
            self._replying.add(task)
            task.add_done_callback(self._replying.discard)

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if self.linger_s > 0:
                # A few milliseconds for more to arrive: each batch has a fixed cost (about
                # eight statements and a commit), which small batches pay per update.
                await asyncio.sleep(self.linger_s)
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            LOCATION_BATCH_SIZE.observe(len(batch))
            # A batch runs to its end even when the worker is cancelled (shutdown): callers
            # are answered at commit, before the events are published, and cutting a batch
            # off there would leave the session's connection mid-statement.
            run = asyncio.ensure_future(self._run(batch))
            self._inflight.add(run)
            run.add_done_callback(self._inflight.discard)
            await asyncio.shield(run)

    async def _run(self, batch: Sequence[_Pending]) -> None:
        try:
            with LOCATION_BATCH_SECONDS.time():
                await self._ingest(batch)
        except Exception as exc:  # every caller hears about it; the worker lives on
            log.warning("location batch of %d failed: %r", len(batch), exc)
            replies: list[tuple[Any, Outcome]] = []
            for p in batch:
                if not p.answered:
                    p.settle(exc, replies)
            self._send_replies(replies)

    async def _ingest(self, batch: Sequence[_Pending]) -> None:
        by_user: dict[uuid.UUID, list[_Pending]] = {}
        for p in batch:
            by_user.setdefault(p.user_id, []).append(p)
        async with self.resources.session_factory() as session:
            users = {u.id: u for u in await user_queries.active_users(session, list(by_user))}
            refused: list[tuple[Any, Outcome]] = []
            for user_id in list(by_user):
                if user_id not in users:
                    for p in by_user.pop(user_id):
                        p.settle(Forbidden("Account not found or disabled"), refused)
            self._send_replies(refused)
            groups = list(by_user.values())
            if not groups:
                return

            def answer(results: list[list[UpdateResult]]) -> None:
                replies: list[tuple[Any, Outcome]] = []
                for group, answers in zip(groups, results, strict=True):
                    for result in answers:
                        # Results carry the index of the update within its player's group.
                        pending = group[result.index]
                        result.index = 0
                        pending.settle(result, replies)
                self._send_replies(replies)

            await ingest_many(
                resources=self.resources,
                session=session,
                batches=[PlayerUpdates(users[g[0].user_id], [p.update for p in g]) for g in groups],
                on_fixes=self.on_fixes,
                on_results=answer,
            )

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._inflight:
            # Let the batch under way finish (publish its events), within reason.
            await asyncio.wait(self._inflight, timeout=10)
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if pending.result is not None and not pending.result.done():
                pending.result.cancel()
        if self._replying:
            await asyncio.wait(self._replying, timeout=5)
