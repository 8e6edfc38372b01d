"""Who a player is, as the hot paths need it: an id and a name, without an ORM object."""

import uuid
from dataclasses import dataclass
from typing import Protocol


class UserRef(Protocol):
    """A `User`, or a lighter record of one: what events and progress name a player by."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def username(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ActiveUser:
    id: uuid.UUID
    username: str
