"""All SQL for the geofences aggregate."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.geofences.models import Geofence


@dataclass(frozen=True, slots=True)
class FenceRow:
    """One fence as the engine needs it (geometry as WKB, the stored cover as bytes)."""

    id: uuid.UUID
    owner_id: uuid.UUID | None
    name: str
    kind: str
    version: int
    active_from: datetime | None
    active_until: datetime | None
    dwell_seconds: int | None
    tags: list[str]
    deleted: bool
    wkb: bytes | None
    cover_res: int
    cover_interior: bytes
    cover_boundary: bytes


# One statement, so the rows and the snapshot's xmin come from the same snapshot (see
# app/placements/queries.py for why reading from `change_xid >= xmin` next misses nothing).
# The first read (low_xid = 0) skips deleted fences and their geometry.
_CHANGES_SINCE = text(
    """
    WITH snap AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin)
    SELECT snap.xmin, g.id, g.owner_id, g.name, g.kind, g.version, g.active_from,
           g.active_until, g.dwell_seconds, g.tags, g.deleted_at IS NOT NULL,
           CASE WHEN g.deleted_at IS NULL THEN ST_AsBinary(g.geom) END,
           g.cover_res, g.cover_interior, g.cover_boundary
    FROM snap LEFT JOIN geofences g
      ON g.change_xid >= :low_xid AND (:low_xid > 0 OR g.deleted_at IS NULL)
    """
)


async def fence_changes_since(session: AsyncSession, low_xid: int) -> tuple[list[FenceRow], int]:
    """Fences written by transactions with id >= `low_xid`, and the next `low_xid`."""
    result = await session.execute(_CHANGES_SINCE, {"low_xid": low_xid})
    rows: list[FenceRow] = []
    next_low_xid = low_xid
    records: list[tuple[Any, ...]] = [tuple(r) for r in result.all()]
    for xmin, *fields in records:
        next_low_xid = xmin
        if fields[0] is not None:
            rows.append(FenceRow(*fields))
    return rows, next_low_xid


async def stream_live_fences(
    session: AsyncSession, on_chunk: Callable[[list[FenceRow]], None], *, chunk: int = 5000
) -> int:
    """Every live fence, handed to `on_chunk` a few thousand rows at a time (a server-side
    cursor, so a start-up load never holds all rows at once); returns the next `low_xid`."""
    result = await session.stream(_CHANGES_SINCE, {"low_xid": 0})
    next_low_xid = 0
    async for partition in result.partitions(chunk):
        rows: list[FenceRow] = []
        records: list[tuple[Any, ...]] = [tuple(r) for r in partition]
        for xmin, *fields in records:
            next_low_xid = xmin
            if fields[0] is not None:
                rows.append(FenceRow(*fields))
        on_chunk(rows)
    if next_low_xid == 0:  # no row at all cannot happen (LEFT JOIN), but stay safe
        raise RuntimeError("snapshot xmin missing from the geofence load")
    return next_low_xid


async def get_geofence(session: AsyncSession, fence_id: uuid.UUID) -> Geofence | None:
    fence = await session.get(Geofence, fence_id)
    return None if fence is None or fence.deleted_at is not None else fence


async def add_geofence(session: AsyncSession, fence: Geofence) -> None:
    session.add(fence)
    await session.flush()


async def geofences_in_bbox(
    session: AsyncSession,
    *,
    bbox: tuple[float, float, float, float],
    after: uuid.UUID | None,
    limit: int,
    owner_id: uuid.UUID | None,
) -> list[Geofence]:
    """Live fences intersecting the box (GiST on geom), ordered by id from `after`."""
    envelope = func.ST_MakeEnvelope(*bbox, 4326)
    query = select(Geofence).where(
        Geofence.deleted_at.is_(None), func.ST_Intersects(Geofence.geom, envelope)
    )
    if owner_id is not None:
        query = query.where(Geofence.owner_id == owner_id)
    if after is not None:
        query = query.where(Geofence.id > after)
    result = await session.scalars(query.order_by(Geofence.id).limit(limit))
    return list(result)


async def geofences_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> list[Geofence]:
    if not ids:
        return []
    result = await session.scalars(
        select(Geofence).where(Geofence.id.in_(ids), Geofence.deleted_at.is_(None))
    )
    return list(result)


async def geofence_ids_covering(session: AsyncSession, lat: float, lng: float) -> list[uuid.UUID]:
    """The database's answer to "which live fences cover this point" (ST_Covers, planar)."""
    point = func.ST_SetSRID(func.ST_MakePoint(lng, lat), 4326)
    result = await session.scalars(
        select(Geofence.id)
        .where(Geofence.deleted_at.is_(None), func.ST_Covers(Geofence.geom, point))
        .order_by(Geofence.id)
    )
    return list(result)


@dataclass(frozen=True, slots=True)
class StoredCover:
    """A live fence's geometry and stored cover, as the cover refresh reads them."""

    id: uuid.UUID
    version: int
    wkb: bytes
    cover_res: int
    cover_interior: bytes
    cover_boundary: bytes


_COVERS_PAGE = text(
    """
    SELECT id, version, ST_AsBinary(geom), cover_res, cover_interior, cover_boundary
    FROM geofences
    WHERE deleted_at IS NULL AND (CAST(:after AS uuid) IS NULL OR id > CAST(:after AS uuid))
    ORDER BY id
    LIMIT :limit
    """
)

# Only if the fence was not edited since it was read: an edit stores its own, newer cover.
_SET_COVER = text(
    """
    UPDATE geofences
    SET cover_res = :res, cover_interior = :interior, cover_boundary = :boundary
    WHERE id = :id AND version = :version AND deleted_at IS NULL
    """
)


async def stored_covers(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int
) -> list[StoredCover]:
    """Live fences with ids after `after`, in id order (keyset pages)."""
    result = await session.execute(_COVERS_PAGE, {"after": after, "limit": limit})
    records: list[tuple[Any, ...]] = [tuple(r) for r in result.all()]
    return [StoredCover(*row) for row in records]


async def replace_cover(
    session: AsyncSession,
    fence_id: uuid.UUID,
    *,
    version: int,
    res: int,
    interior: bytes,
    boundary: bytes,
) -> bool:
    """Store a recomputed cover; False when the fence was edited or deleted meanwhile."""
    result = await session.execute(
        _SET_COVER,
        {
            "id": fence_id,
            "version": version,
            "res": res,
            "interior": interior,
            "boundary": boundary,
        },
    )
    return bool(getattr(result, "rowcount", 0))
