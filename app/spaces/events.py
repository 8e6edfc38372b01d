"""What the spaces service tells the real-time side after a commit.

A change that can take away someone's right to be inside a space (member removed, membership
left, invitation revoked, access type changed, space deleted) is published as the internal
event `_space_access_changed`. The real-time side re-checks the affected sockets against the
database on every process and takes those no longer allowed out of the space's room
(app/realtime/evictions.py). The event only says *whom to re-check*; the database decides,
so a late or repeated event can never evict someone who is allowed in.
"""

import enum
import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.events import EventBus, RealtimeEvent
from app.core.outbox import publish_or_defer

ACCESS_CHANGED = "_space_access_changed"


class AccessChange(enum.StrEnum):
    """Why sockets of a space are re-checked; also the `reason` of `space_removed`."""

    REMOVED = "removed"  # the owner removed the member
    LEFT = "left"  # the member gave up their membership over REST
    INVITATION_REVOKED = "invitation_revoked"
    ACCESS_CHANGED = "access_changed"  # access_type changed (e.g. public -> invite)
    DELETED = "deleted"  # the space is gone


def access_changed(
    space_id: uuid.UUID, user_ids: Iterable[uuid.UUID] | None, reason: AccessChange
) -> RealtimeEvent:
    """`user_ids` None: re-check everyone inside the space."""
    return RealtimeEvent(
        type=ACCESS_CHANGED,
        data={
            "space_id": str(space_id),
            "user_ids": None if user_ids is None else [str(u) for u in user_ids],
            "reason": reason.value,
        },
    )


async def announce_access_change(
    *,
    bus: EventBus,
    session: AsyncSession,
    space_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID] | None,
    reason: AccessChange,
) -> None:
    """Call after the change is committed (a re-check must see it)."""
    await publish_or_defer(
        redis=bus.redis,
        prefix=bus.prefix,
        session=session,
        events=[access_changed(space_id, user_ids, reason)],
    )
