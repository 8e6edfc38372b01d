"""Stored covers brought up to the current cover rule.

A fence's H3 cover is computed when it is written (`geo.fence_cover`) and stored, so start-up
never recomputes it. When the rule changes, old covers stay correct (any resolution gives the
exact answer) but may be slower than the new rule's; `refresh_covers` recomputes every live
fence's cover and stores those that differ. Every engine picks the rows up like any other
write (the change stamp moves). A fence edited meanwhile keeps the cover its edit stored.

    .venv/bin/python -m app.geofences.cli refresh-covers [--dry-run]
"""

from collections.abc import Callable
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPolygon, Polygon
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.geofences import queries
from geo.fence_cover import cells_to_bytes, fence_cover


@dataclass
class CoverRefresh:
    checked: int = 0
    changed: int = 0
    skipped: int = 0  # edited or deleted while being recomputed


async def refresh_covers(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    page: int = 200,
    dry_run: bool = False,
    on_page: Callable[[CoverRefresh], None] | None = None,
) -> CoverRefresh:
    """Recompute every live fence's cover; store (unless `dry_run`) those that differ. One
    transaction per page, so a long run holds no lock for long."""
    totals = CoverRefresh()
    after = None
    while True:
        async with session_factory() as session:
            rows = await queries.stored_covers(session, after=after, limit=page)
            if not rows:
                return totals
            for row in rows:
                geom = shapely.from_wkb(row.wkb)
                assert isinstance(geom, Polygon | MultiPolygon)
                cover = fence_cover(geom)
                interior = cells_to_bytes(cover.interior)
                boundary = cells_to_bytes(cover.boundary)
                totals.checked += 1
                if (cover.res, interior, boundary) == (
                    row.cover_res,
                    row.cover_interior,
                    row.cover_boundary,
                ):
                    continue
                if dry_run or await queries.replace_cover(
                    session,
                    row.id,
                    version=row.version,
                    res=cover.res,
                    interior=interior,
                    boundary=boundary,
                ):
                    totals.changed += 1
                else:
                    totals.skipped += 1
            await session.commit()
            after = rows[-1].id
        if on_page is not None:
            on_page(totals)
