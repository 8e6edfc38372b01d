"""Hot statements straight on psycopg, inside an AsyncSession's transaction.

Per statement, SQLAlchemy's execute path (a greenlet hop, compiled-cache lookup, parameter
processing, result wrapping) costs more of this process's CPU than the driver's own work, and
psycopg dumps a list parameter with a Python call per element. The location ingest runs a
handful of statements per batch of players thousands of times a second, so those go to the
session's psycopg connection directly, with arrays as single text parameters.
"""

import uuid
from typing import Any, cast

import orjson
from psycopg import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

# psycopg's connection under a session (tuple rows).
Driver = AsyncConnection[Any]


async def driver(session: AsyncSession) -> Driver:
    """The session's psycopg connection, its transaction begun: statements on it are in the
    session's transaction until the session commits. Get it once per transaction (each call
    is a trip through the session's machinery), and use it only for tables the session holds
    no pending ORM changes of (they skip the session's autoflush)."""
    connection = await session.connection()
    sync = connection.sync_connection
    if sync is None:  # pragma: no cover - session.connection() returns a started connection
        raise RuntimeError("session connection not started")
    return cast(Driver, sync.connection.driver_connection)


def array_literal(values: list[uuid.UUID] | list[int]) -> str:
    """A PostgreSQL array literal (CAST it to uuid[] / bigint[]) in one C call: the JSON array
    of UUIDs or integers is one once its brackets become braces (neither needs escaping)."""
    return "{" + orjson.dumps(values)[1:-1].decode() + "}"
