"""The one object-level permission check. Dependencies built on it live in dependencies.py.

403 or 404? `hide=True` answers 404 for someone else's object, exactly as for a missing
one, where the object's existence is private (device sessions, developer apps). Objects
anyone can discover anyway (placements show up in /api/nearby) get an honest 403.
"""

import uuid
from typing import Protocol, TypeVar

from app.core.errors import Forbidden, NotFound
from app.users.models import User


class Owned(Protocol):
    @property
    def owner_id(self) -> uuid.UUID | None: ...


OwnedT = TypeVar("OwnedT", bound=Owned)


def ensure_owner(
    actor: User,
    obj: OwnedT | None,
    *,
    kind: str,
    hide: bool = False,
    admin_override: bool = True,
) -> OwnedT:
    """Return `obj` if `actor` may change it (its owner, or an admin); raise otherwise."""
    if obj is None:
        raise NotFound(f"No such {kind}")
    if obj.owner_id == actor.id or (admin_override and actor.is_admin):
        return obj
    if hide:
        raise NotFound(f"No such {kind}")
    raise Forbidden(f"This {kind} belongs to another user", details={"kind": kind})
