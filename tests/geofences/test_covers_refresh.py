"""Stored covers brought up to the current cover rule (app/geofences/covers.py): a fence
stored with an older, coarser cover gets the current one, engines pick it up like any write
and still answer exactly as PostGIS, and a fence edited meanwhile keeps its edit's cover."""

import uuid

import numpy as np
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.geofences import queries
from app.geofences.component import GeofenceComponent
from app.geofences.covers import refresh_covers
from app.geofences.models import FenceKind, Geofence
from app.geofences.service import FenceShapeIn, set_shape
from app.users.models import User
from geo.cover import polygon_cover
from geo.fence_cover import cells_to_bytes, fence_cover
from tests.geo.fence_shapes import points_near_edges, star_polygon
from tests.geofences.conftest import engine_of
from tests.geofences.test_engine_vs_postgis import _DB_COVERS


async def stored_with_an_old_cover(
    session_factory: async_sessionmaker[AsyncSession], owner: User
) -> tuple[Geofence, object]:
    # 200 spikes: the rule refines it past the resolution its outline's length suggests.
    star = star_polygon(np.random.default_rng(3), 48.1, 11.5, 2000.0, 200)
    old = polygon_cover(star, 7)
    async with session_factory() as session:
        fence = Geofence(id=uuid.uuid4(), owner_id=owner.id, name="spiky", version=1)
        set_shape(fence, FenceShapeIn(FenceKind.POLYGON, star, None, None))
        fence.cover_res = 7
        fence.cover_interior = cells_to_bytes(old.interior)
        fence.cover_boundary = cells_to_bytes(old.boundary)
        session.add(fence)
        await session.commit()
    return fence, star


async def test_old_covers_are_replaced_and_engines_follow(
    app: FastAPI,
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    organizer: User,
) -> None:
    fence, star = await stored_with_an_old_cover(session_factory, organizer)
    component = app.state.resources.component(GeofenceComponent)
    await component.sync.refresh()
    engine = engine_of(app)
    slot = engine.index.slot_of(fence.id)
    assert slot is not None
    shape = engine.index.shape_at(slot)
    assert shape is not None
    assert shape.res == 7

    dry = await refresh_covers(session_factory, dry_run=True)
    assert (dry.checked, dry.changed) == (1, 1)
    refreshed = await refresh_covers(session_factory, page=1)
    assert (refreshed.checked, refreshed.changed, refreshed.skipped) == (1, 1, 0)
    [row] = await queries.stored_covers(session, after=None, limit=10)
    expected = fence_cover(star)
    assert row.cover_res == expected.res > 7
    assert row.cover_boundary == cells_to_bytes(expected.boundary)
    assert row.cover_interior == cells_to_bytes(expected.interior)
    assert row.version == 1  # not an edit: clients' If-Match versions stay valid
    assert (await refresh_covers(session_factory)).changed == 0

    # The engine takes the new cover like any write, and still answers as PostGIS does.
    await component.sync.refresh()
    slot = engine.index.slot_of(fence.id)
    assert slot is not None
    shape = engine.index.shape_at(slot)
    assert shape is not None
    assert shape.res == expected.res
    rng = np.random.default_rng(8)
    lo_lng, lo_lat, hi_lng, hi_lat = star.bounds
    pts = np.vstack(
        [
            points_near_edges(rng, star, 2000),
            np.column_stack([rng.uniform(lo_lng, hi_lng, 3000), rng.uniform(lo_lat, hi_lat, 3000)]),
        ]
    )
    result = await session.execute(
        _DB_COVERS, {"lngs": pts[:, 0].tolist(), "lats": pts[:, 1].tolist()}
    )
    expected_pairs = {(int(i), fid) for i, fid in result.all()}
    found = engine.containing_batch(pts[:, 1], pts[:, 0])
    assert {(i, fid) for i, ids in enumerate(found) for fid in ids} == expected_pairs
    assert len(expected_pairs) > 1000


async def test_a_fence_edited_meanwhile_keeps_its_edits_cover(
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    organizer: User,
) -> None:
    fence, star = await stored_with_an_old_cover(session_factory, organizer)
    [row] = await queries.stored_covers(session, after=None, limit=10)
    # An edit lands between the refresh's read and its write.
    await session.execute(update(Geofence).where(Geofence.id == fence.id).values(version=2))
    cover = fence_cover(star)
    stored = await queries.replace_cover(
        session,
        fence.id,
        version=row.version,
        res=cover.res,
        interior=cells_to_bytes(cover.interior),
        boundary=cells_to_bytes(cover.boundary),
    )
    assert stored is False
    [after] = await queries.stored_covers(session, after=None, limit=10)
    assert after.cover_res == 7
