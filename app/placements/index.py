"""The process-local nearby engine: every active placement in numpy columns sorted by H3 cell.

PostgreSQL stays the source of truth; this is a read model. A query takes the H3 cells that
cover the search circle, turns each into the contiguous range of resolution-15 cells below
it, binary-searches those ranges in the sorted cell column, and hands the candidates to
`geo.nearest.select_nearest` for the exact geodesic answer.

Writes land in a small overlay (a dict) and mark the stale base row dead; when the overlay
grows past `compact_threshold` it is merged into a freshly sorted base.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.placements.queries import PlacementRow
from geo.circle_ranges import circle_ranges
from geo.nearest import After, select_nearest

KIND_CODES = {"nft": 0, "space": 1, "portal": 2, "marker": 3}


@dataclass(frozen=True, slots=True)
class NearbyHit:
    id: str
    kind: str
    title: str
    lat: float
    lng: float
    altitude_m: float | None
    distance_m: float
    bearing_deg: float


@dataclass(frozen=True, slots=True)
class NearbyHits:
    hits: list[NearbyHit]
    has_more: bool


class _Columns:
    """Column store of placements; `alive` marks rows not superseded since the build."""

    def __init__(self, rows: Sequence[PlacementRow], *, sort: bool) -> None:
        n = len(rows)
        self.cells = np.fromiter((r.h3_cell for r in rows), dtype=np.int64, count=n)
        order = np.argsort(self.cells, kind="stable") if sort else np.arange(n)
        self.cells = self.cells[order]
        self.lats = np.fromiter((r.lat for r in rows), dtype=np.float64, count=n)[order]
        self.lngs = np.fromiter((r.lng for r in rows), dtype=np.float64, count=n)[order]
        self.kinds = np.fromiter((KIND_CODES[r.kind] for r in rows), dtype=np.int8, count=n)[order]
        self.rows: npt.NDArray[np.object_] = np.empty(n, dtype=object)
        self.rows[:] = [rows[i] for i in order]
        self.alive = np.ones(n, dtype=bool)

    def __len__(self) -> int:
        return len(self.cells)


class PlacementIndex:
    def __init__(self, *, compact_threshold: int = 4096) -> None:
        self._compact_threshold = compact_threshold
        self._base = _Columns([], sort=True)
        self._base_position: dict[str, int] = {}
        self._overlay: dict[str, PlacementRow] = {}
        self._overlay_columns: _Columns | None = None
        self.low_xid = 0  # see queries.placement_changes_since

    def __len__(self) -> int:
        return int(self._base.alive.sum()) + len(self._overlay)

    def load(self, rows: Iterable[PlacementRow]) -> None:
        active = [r for r in rows if r.active]
        self._base = _Columns(active, sort=True)
        self._base_position = {row.id: i for i, row in enumerate(self._base.rows)}
        self._overlay.clear()
        self._overlay_columns = None

    def apply(self, rows: Iterable[PlacementRow]) -> None:
        """Apply changed rows (newest state of each); idempotent."""
        for row in rows:
            position = self._base_position.pop(row.id, None)
            if position is not None:
                self._base.alive[position] = False
            if row.active:
                self._overlay[row.id] = row
            else:
                self._overlay.pop(row.id, None)
        self._overlay_columns = None
        if len(self._overlay) > self._compact_threshold:
            self._compact()

    def _compact(self) -> None:
        survivors = [r for r, alive in zip(self._base.rows, self._base.alive, strict=True) if alive]
        self.load([*survivors, *self._overlay.values()])

    def nearby(
        self,
        lat: float,
        lng: float,
        *,
        radius_m: float,
        limit: int,
        kinds: frozenset[str] | None = None,
        after: After | None = None,
    ) -> NearbyHits:
        base = self._base
        ranges = circle_ranges(lat, lng, radius_m)
        starts = np.searchsorted(base.cells, ranges[:, 0], side="left")
        stops = np.searchsorted(base.cells, ranges[:, 1], side="right")
        spans = [np.arange(a, b) for a, b in zip(starts, stops, strict=True) if b > a]
        positions = np.concatenate(spans) if spans else np.empty(0, dtype=np.int64)
        keep = base.alive[positions]
        if kinds is not None:
            keep &= np.isin(base.kinds[positions], [KIND_CODES[k] for k in kinds])
        positions = positions[keep]
        lats, lngs = base.lats[positions], base.lngs[positions]

        # Overlay rows follow the base candidates; position >= len(positions) means overlay.
        extra = self._overlay_view() if self._overlay else None
        extra_positions = np.empty(0, dtype=np.int64)
        if extra is not None:
            extra_positions = (
                np.flatnonzero(np.isin(extra.kinds, [KIND_CODES[k] for k in kinds]))
                if kinds is not None
                else np.arange(len(extra))
            )
            lats = np.concatenate([lats, extra.lats[extra_positions]])
            lngs = np.concatenate([lngs, extra.lngs[extra_positions]])
        n_base = len(positions)

        def row_at(i: int) -> PlacementRow:
            if i < n_base:
                row: PlacementRow = base.rows[positions[i]]
            else:
                assert extra is not None
                row = extra.rows[extra_positions[i - n_base]]
            return row

        found = select_nearest(
            lat,
            lng,
            lats,
            lngs,
            lambda i: row_at(i).id,
            radius_m=radius_m,
            limit=limit,
            after=after,
        )
        hits = []
        for i, distance, bearing in zip(
            found.positions.tolist(),
            found.distances_m.tolist(),
            found.bearings_deg.tolist(),
            strict=True,
        ):
            row = row_at(i)
            hits.append(
                NearbyHit(
                    row.id, row.kind, row.title, row.lat, row.lng, row.altitude_m, distance, bearing
                )
            )
        return NearbyHits(hits, found.has_more)

    def _overlay_view(self) -> _Columns:
        # The overlay is small (bounded by the compaction threshold): a linear scan is cheaper
        # than keeping it sorted under writes.
        if self._overlay_columns is None:
            self._overlay_columns = _Columns(list(self._overlay.values()), sort=False)
        return self._overlay_columns
