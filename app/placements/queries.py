"""All SQL for the placements aggregate."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.placements.models import Placement


@dataclass(frozen=True, slots=True)
class PlacementRow:
    """One placement as the in-memory index needs it."""

    id: str
    kind: str
    title: str
    lat: float
    lng: float
    altitude_m: float | None
    h3_cell: int
    active: bool


# One statement, so the rows and the snapshot's xmin come from the same snapshot. Every
# transaction with an id below that xmin had finished when it was taken, so reading from
# `change_xid >= xmin` next time can miss no committed change (and re-reads a few rows).
_CHANGES_SINCE = text(
    """
    WITH snap AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin)
    SELECT snap.xmin, p.id::text, p.kind, p.title,
           ST_Y(p.location::geometry), ST_X(p.location::geometry),
           p.altitude_m, p.h3_cell, p.active
    FROM snap LEFT JOIN placements p ON p.change_xid >= :low_xid
    """
)


async def placement_changes_since(
    session: AsyncSession, low_xid: int
) -> tuple[list[PlacementRow], int]:
    """Placements written by transactions with id >= `low_xid`, and the next `low_xid`."""
    result = await session.execute(_CHANGES_SINCE, {"low_xid": low_xid})
    rows: list[PlacementRow] = []
    next_low_xid = low_xid
    records: list[tuple[Any, ...]] = [tuple(r) for r in result.all()]
    for xmin, pid, kind, title, lat, lng, alt, cell, active in records:
        next_low_xid = xmin
        if pid is not None:
            rows.append(PlacementRow(pid, kind, title, lat, lng, alt, cell, active))
    return rows, next_low_xid


async def get_placement(session: AsyncSession, placement_id: uuid.UUID) -> Placement | None:
    return await session.get(Placement, placement_id)


async def add_placements(session: AsyncSession, placements: list[Placement]) -> None:
    session.add_all(placements)
    await session.flush()
