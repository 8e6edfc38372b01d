"""docs/SCALING.md's shard key: the resolution-3 parent of `placements.h3_cell`, computed
with integer arithmetic in PostgreSQL (no h3 extension), equals h3's own parent."""

import random

import h3
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The exact expression docs/SCALING.md gives for the migration's backfill.
SHARD_CELL_SQL = "(c & ~(15::bigint << 52)) | (3::bigint << 52) | ((1::bigint << 36) - 1)"


async def test_shard_cell_expression_matches_h3_parent(session: AsyncSession) -> None:
    rng = random.Random(8)
    points = [(rng.uniform(-89.9, 89.9), rng.uniform(-180, 180)) for _ in range(500)]
    # The corners that break naive code: poles, antimeridian, a pentagon's centre.
    points += [(89.99, 0.0), (-89.99, 179.99), (0.0, 180.0), (0.0, -180.0)]
    points.append(h3.cell_to_latlng(h3.get_pentagons(3)[0]))
    cells = [h3.str_to_int(h3.latlng_to_cell(lat, lng, 15)) for lat, lng in points]
    rows = await session.execute(
        text(f"SELECT c, {SHARD_CELL_SQL} FROM unnest(CAST(:cells AS bigint[])) AS c"),
        {"cells": cells},
    )
    got = {int(c): int(parent) for c, parent in rows.all()}
    for cell in cells:
        expected = h3.str_to_int(h3.cell_to_parent(h3.int_to_str(cell), 3))
        assert got[cell] == expected, h3.int_to_str(cell)
