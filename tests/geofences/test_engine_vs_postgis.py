"""The engine agrees exactly with PostGIS ST_Covers on the stored geometry, near edges too."""

import uuid

import numpy as np
from fastapi import FastAPI
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Float

from app.geofences.component import GeofenceComponent
from app.geofences.models import FenceKind, Geofence
from app.geofences.service import FenceShapeIn, set_shape
from app.users.models import User
from tests.geo.fence_shapes import points_near_edges, random_fence
from tests.geofences.conftest import engine_of

_DB_COVERS = text(
    """
    SELECT p.i - 1, g.id
    FROM unnest(:lngs, :lats) WITH ORDINALITY AS p(lng, lat, i)
    JOIN geofences g
      ON ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326))
    WHERE g.deleted_at IS NULL
    """
).bindparams(bindparam("lngs", type_=ARRAY(Float)), bindparam("lats", type_=ARRAY(Float)))


async def test_engine_matches_st_covers(
    app: FastAPI, session: AsyncSession, organizer: User
) -> None:
    rng = np.random.default_rng(42)
    geoms = [
        random_fence(rng, 48.1 + rng.uniform(0, 0.15), 11.5 + rng.uniform(0, 0.15))
        for _ in range(160)
    ]
    for geom in geoms:
        fence = Geofence(id=uuid.uuid4(), owner_id=organizer.id, name="f", version=1)
        set_shape(fence, FenceShapeIn(FenceKind.POLYGON, geom, None, None))
        session.add(fence)
    await session.flush()
    engine = engine_of(app)
    await app.state.resources.component(GeofenceComponent).sync.refresh()
    assert len(engine) == 160

    pts = np.vstack(
        [points_near_edges(rng, g, 120) for g in geoms]
        + [np.column_stack([rng.uniform(11.47, 11.68, 20000), rng.uniform(48.07, 48.28, 20000)])]
    )
    assert len(pts) >= 39_000
    result = await session.execute(
        _DB_COVERS, {"lngs": pts[:, 0].tolist(), "lats": pts[:, 1].tolist()}
    )
    expected = {(int(i), fid) for i, fid in result.all()}
    found = engine.containing_batch(pts[:, 1], pts[:, 0])
    got = {(i, fid) for i, ids in enumerate(found) for fid in ids}
    assert got == expected
    assert len(expected) > 20_000
    offsets, ids = engine.containing_batch_csr(pts[:, 1], pts[:, 0])
    pairs = [(i, fid) for i in range(len(pts)) for fid in ids[offsets[i] : offsets[i + 1]]]
    assert len(pairs) == len(expected)
    assert set(pairs) == expected
