"""Events that could not reach the Redis Stream wait in PostgreSQL until Redis is back.

Producers publish after their transaction commits; when Redis is down, `publish_or_defer`
parks the encoded events in `event_outbox` (PostgreSQL is up: the transaction just
committed), and `relay_outbox` — run in the background by every process — appends them to
the stream once Redis answers again, oldest first, then deletes them. `FOR UPDATE SKIP
LOCKED` lets several processes relay without sending an event twice.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import BigInteger, DateTime, LargeBinary, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.events import RealtimeEvent, append_encoded, publish_many

log = logging.getLogger("cyberspace.outbox")


class OutboxEvent(Base):
    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


async def publish_or_defer(
    *, redis: Redis, prefix: str, session: AsyncSession, events: Sequence[RealtimeEvent]
) -> bool:
    """Publish committed events; if Redis fails, park them for the relay. True if sent now."""
    if not events:
        return True
    try:
        await publish_many(redis, prefix, events)
        return True
    except RedisError:
        await session.execute(insert(OutboxEvent), [{"payload": e.encode()} for e in events])
        await session.commit()
        log.warning("Redis unavailable: %d events parked in the outbox", len(events))
        return False


async def relay_outbox(
    *, redis: Redis, prefix: str, session: AsyncSession, batch: int = 500
) -> int:
    """Append parked events to the stream, oldest first; returns how many were relayed."""
    rows = (
        await session.execute(
            select(OutboxEvent.id, OutboxEvent.payload)
            .order_by(OutboxEvent.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        await session.rollback()
        return 0
    # Raises while Redis is down: the rows stay locked only until the rollback, for next time.
    await append_encoded(redis, prefix, [payload for _, payload in rows])
    await session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_([r[0] for r in rows])))
    await session.commit()
    return len(rows)


async def relay_forever(
    *, redis: Redis, prefix: str, session_factory: async_sessionmaker[AsyncSession], every: float
) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            async with session_factory() as session:
                while await relay_outbox(redis=redis, prefix=prefix, session=session):
                    pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.debug("outbox relay round failed; retrying", exc_info=True)
