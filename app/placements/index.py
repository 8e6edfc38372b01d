"""The process-local nearby engine: every active placement in numpy columns plus k-d trees
over their unit vectors.

PostgreSQL stays the source of truth; this is a read model. A query asks a k-d tree (one per
kind, and one over all kinds) for the k placements nearest by chord (`geo.chord`: the chord is
monotonic in great-circle distance), and hands them to `geo.nearest.select_nearest` for the
exact geodesic answer. The k-th chord proves how far the answer is complete: no placement left
out can be nearer than it (minus the proven spherical/geodesic error), so when `limit` results
lie within that distance, or the tree ran out of points inside the radius, the page is exact;
otherwise k grows and the query repeats. Dense data answers in one round with k ≈ limit.

Writes land in a small overlay (its own columns and trees, rebuilt on the next query after a
write) and mark the stale base row dead; when the overlay grows past `compact_threshold` it is
merged into a freshly built base.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree  # type: ignore[import-untyped]  # scipy ships no stubs

from app.placements.queries import PlacementRow
from geo.chord import (
    chord_for_spherical_m,
    spherical_m_for_chord,
    spherical_m_for_chords,
    unit_vector,
    unit_vectors,
)
from geo.geodesy import (
    SPHERICAL_ABS_ERROR_M,
    SPHERICAL_REL_ERROR,
    pairwise_distances_and_bearings,
)
from geo.nearest import After, select_nearest

KIND_CODES = {"nft": 0, "space": 1, "portal": 2, "marker": 3}
ALL_KINDS = frozenset(KIND_CODES)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Below this chord (~0.8 of half the circumference) arcsin of a chord is accurate to well
# under a millimetre; nearer the antipode it loses digits, so larger balls fall back to
# computing spherical distances from lat/lng and a wider safety margin.
_WELL_CONDITIONED_CHORD = 1.9
# How much the completeness bound is shrunk for floating point in chords and arcsin (metres).
_BOUND_MARGIN_M = 0.001
_WIDE_BOUND_MARGIN_M = 1.0
# Past this k a query takes every point in the ball instead of the k nearest.
_WHOLE_BALL_K = 4096


class NearbyHit(NamedTuple):
    # A tuple, not a dataclass: a page builds 20-200 of these per request.
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
    # The hits' distances and bearings again, as arrays, for callers that format whole pages.
    distances_m: FloatArray = field(default_factory=lambda: np.empty(0))
    bearings_deg: FloatArray = field(default_factory=lambda: np.empty(0))


class _Tree:
    """A k-d tree over some rows of a _Columns; `positions[i]` is the row of tree point i."""

    __slots__ = ("kdtree", "positions", "size")

    def __init__(self, xyz: FloatArray, positions: IntArray | None) -> None:
        self.kdtree = cKDTree(xyz)
        self.positions = positions
        self.size = len(xyz)


class _Columns:
    """Column store of placements; `alive` marks rows not superseded since the build."""

    def __init__(self, rows: Sequence[PlacementRow], *, sort: bool) -> None:
        n = len(rows)
        self.cells = np.fromiter((r.h3_cell for r in rows), dtype=np.int64, count=n)
        # Sorting by H3 cell keeps nearby rows together in memory (fewer cache misses).
        order = np.argsort(self.cells, kind="stable") if sort else np.arange(n)
        self.cells = self.cells[order]
        self.lats = np.fromiter((r.lat for r in rows), dtype=np.float64, count=n)[order]
        self.lngs = np.fromiter((r.lng for r in rows), dtype=np.float64, count=n)[order]
        self.kinds = np.fromiter((KIND_CODES[r.kind] for r in rows), dtype=np.int8, count=n)[order]
        self.rows: npt.NDArray[np.object_] = np.empty(n, dtype=object)
        self.rows[:] = [rows[i] for i in order]
        self.alive = np.ones(n, dtype=bool)
        xyz = unit_vectors(self.lats, self.lngs)
        # One tree over every row answers unfiltered queries; one per kind answers `kinds`
        # filters without wading through other kinds.
        self.trees: dict[str | None, _Tree] = {}
        if n:
            self.trees[None] = _Tree(xyz, None)
        for kind, code in KIND_CODES.items():
            positions = np.flatnonzero(self.kinds == code)
            if positions.size:
                self.trees[kind] = _Tree(xyz[positions], positions)

    def __len__(self) -> int:
        return len(self.cells)

    def trees_for(self, kinds: frozenset[str] | None) -> list[_Tree]:
        if kinds is None or kinds >= ALL_KINDS:
            tree = self.trees.get(None)
            return [] if tree is None else [tree]
        return [self.trees[k] for k in sorted(kinds) if k in self.trees]


@dataclass(slots=True)
class _Gathered:
    """Candidates from one _Columns: rows, their chords, and how far they are complete."""

    positions: IntArray
    chords: FloatArray
    bound_chord: float  # every row left out is at least this far (chord); inf if none is


def _gather(columns: _Columns, trees: list[_Tree], q: tuple[float, float, float], k: int,
            ball: float) -> _Gathered:  # fmt: skip
    positions: list[IntArray] = []
    chords: list[FloatArray] = []
    bound = math.inf
    for tree in trees:
        kk = min(k, tree.size)
        if kk > _WHOLE_BALL_K:
            # A k-nearest query sorts what it returns; past a few thousand, taking the whole
            # ball unsorted is cheaper (and complete: no bound needed).
            i = np.asarray(tree.kdtree.query_ball_point(q, ball), dtype=np.int64)
            d = np.linalg.norm(tree.kdtree.data[i] - np.asarray(q), axis=1)
        else:
            d, i = tree.kdtree.query(q, k=kk, distance_upper_bound=ball)
            d, i = np.atleast_1d(d), np.atleast_1d(i)
            found = i < tree.size
            if kk < tree.size and found[-1]:
                # All kk came back inside the ball, so more may exist beyond the kk-th.
                bound = min(bound, float(d[-1]))
            else:
                d, i = d[found], i[found]
        rows = i if tree.positions is None else tree.positions[i]
        positions.append(rows)
        chords.append(d)
    if len(positions) == 1:
        p, c = positions[0], chords[0]
    elif positions:
        p, c = np.concatenate(positions), np.concatenate(chords)
    else:
        p, c = np.empty(0, dtype=np.int64), np.empty(0)
    keep = columns.alive[p]
    if not keep.all():
        p, c = p[keep], c[keep]
    return _Gathered(p, c, bound)


def _ball_chord(radius_m: float) -> float:
    """Every point within geodesic `radius_m` is within this spherical distance, so within
    this chord; the small stretch covers rounding in the tree's distances."""
    ball = chord_for_spherical_m((radius_m + SPHERICAL_ABS_ERROR_M) / (1 - SPHERICAL_REL_ERROR))
    return ball * (1 + 1e-9) + 1e-12


@dataclass(slots=True)
class _BallPairs:
    """(query point, row) pairs from one _Columns' ball queries, live rows only."""

    points: IntArray
    positions: IntArray
    columns: _Columns


def _ball_pairs(columns: _Columns, xyz: FloatArray, ball: float) -> _BallPairs:
    tree = columns.trees.get(None)
    if tree is None:
        empty = np.empty(0, dtype=np.int64)
        return _BallPairs(empty, empty, columns)
    # One C call for every query point; unsorted, since the caller orders by geodesic.
    found = tree.kdtree.query_ball_point(xyz, ball, return_sorted=False)
    counts = np.fromiter(map(len, found), dtype=np.int64, count=len(found))
    positions = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=int(counts.sum()))
    points = np.repeat(np.arange(len(found), dtype=np.int64), counts)
    keep = columns.alive[positions]
    return _BallPairs(points[keep], positions[keep], columns)


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
        q = unit_vector(lat, lng)
        ball = _ball_chord(radius_m)
        sources = [(self._base, self._base.trees_for(kinds))]
        if self._overlay:
            overlay = self._overlay_view()
            sources.append((overlay, overlay.trees_for(kinds)))
        # A little over limit + 1: the spherical/geodesic bracket needs a few spare points.
        k = limit + 1 + max(8, limit // 4)
        while True:
            gathered = [_gather(columns, trees, q, k, ball) for columns, trees in sources]
            bound_chord = min(g.bound_chord for g in gathered)
            if bound_chord == math.inf:
                # Every point inside the radius is a candidate: the page is exact.
                return self._select(lat, lng, gathered, sources, ball, radius_m, limit, after)
            margin = (
                _BOUND_MARGIN_M if bound_chord < _WELL_CONDITIONED_CHORD else _WIDE_BOUND_MARGIN_M
            )
            spherical_bound = spherical_m_for_chord(bound_chord)
            lower = spherical_bound * (1 - SPHERICAL_REL_ERROR) - SPHERICAL_ABS_ERROR_M
            # No point left out is within `reach` (geodesic): the answer is exact inside it.
            reach = min(radius_m, lower - margin)
            if reach >= 0:
                hits = self._select(lat, lng, gathered, sources, ball, reach, limit, after)
                if reach >= radius_m or hits.has_more:
                    # Either nothing inside the radius was left out, or more than `limit`
                    # results lie where nothing was: the page and has_more are exact.
                    return hits
            # Otherwise ask for more; once k exceeds every tree, the bound is infinite.
            k *= 4

    def within_many(
        self, lats: Sequence[float], lngs: Sequence[float], *, radius_m: float, limit: int
    ) -> list[NearbyHits]:
        """`nearby(lat, lng, radius_m=radius_m, limit=limit)` for many points (all kinds, first
        page), with one ball query per tree and one geodesic call for the whole batch instead
        of a k-nearest search and a geodesic call per point. For small radii, where the ball
        holds a handful of rows (proximity alerts for a batch of location fixes)."""
        n = len(lats)
        ball = _ball_chord(radius_m)
        if n == 0 or ball >= _WELL_CONDITIONED_CHORD:
            return [
                self.nearby(a, b, radius_m=radius_m, limit=limit)
                for a, b in zip(lats, lngs, strict=True)
            ]
        lat_a = np.asarray(lats, dtype=np.float64)
        lng_a = np.asarray(lngs, dtype=np.float64)
        xyz = unit_vectors(lat_a, lng_a)
        parts = [_ball_pairs(self._base, xyz, ball)]
        if self._overlay:
            parts.append(_ball_pairs(self._overlay_view(), xyz, ball))
        points = np.concatenate([p.points for p in parts])
        c_lats = np.concatenate([p.columns.lats[p.positions] for p in parts])
        c_lngs = np.concatenate([p.columns.lngs[p.positions] for p in parts])
        rows = np.concatenate([p.columns.rows[p.positions] for p in parts])
        distances, bearings = pairwise_distances_and_bearings(
            lat_a[points], lng_a[points], c_lats, c_lngs
        )
        inside = distances <= radius_m
        points, distances, bearings, rows = (
            points[inside],
            distances[inside],
            bearings[inside],
            rows[inside],
        )
        # Grouped by point, nearest first; equal distances are ordered by id below.
        order = np.lexsort((distances, points))
        points, distances, bearings, rows = (
            points[order],
            distances[order],
            bearings[order],
            rows[order],
        )
        ends = np.cumsum(np.bincount(points, minlength=n)).tolist()
        new = tuple.__new__
        hits = [
            new(NearbyHit, (r.id, r.kind, r.title, r.lat, r.lng, r.altitude_m, d, b))
            for r, d, b in zip(rows.tolist(), distances.tolist(), bearings.tolist(), strict=True)
        ]
        out: list[NearbyHits] = []
        start = 0
        for i, end in enumerate(ends):
            if end - start > limit:
                # More than a page: nearby's exact has_more and cut (rare at alert radii).
                out.append(
                    self.nearby(float(lat_a[i]), float(lng_a[i]), radius_m=radius_m, limit=limit)
                )
            else:
                page = hits[start:end]
                page_d, page_b = distances[start:end], bearings[start:end]
                if (page_d[1:] == page_d[:-1]).any():
                    page.sort(key=lambda h: (h.distance_m, h.id))
                    page_d = np.array([h.distance_m for h in page], dtype=np.float64)
                    page_b = np.array([h.bearing_deg for h in page], dtype=np.float64)
                out.append(NearbyHits(page, False, page_d, page_b))
            start = end
        return out

    def _select(
        self,
        lat: float,
        lng: float,
        gathered: list[_Gathered],
        sources: list[tuple[_Columns, list[_Tree]]],
        ball: float,
        radius_m: float,
        limit: int,
        after: After | None,
    ) -> NearbyHits:
        # Candidates of the overlay (if any) follow the base ones.
        base, base_rows = gathered[0].positions, sources[0][0].rows
        n_base = len(base)
        if len(gathered) == 1:
            chords = gathered[0].chords
            lats, lngs = sources[0][0].lats[base], sources[0][0].lngs[base]
        else:
            extra, extra_columns = gathered[1].positions, sources[1][0]
            chords = np.concatenate([gathered[0].chords, gathered[1].chords])
            lats = np.concatenate([sources[0][0].lats[base], extra_columns.lats[extra]])
            lngs = np.concatenate([sources[0][0].lngs[base], extra_columns.lngs[extra]])

        def row_at(i: int) -> PlacementRow:
            if i < n_base:
                row: PlacementRow = base_rows[base[i]]
            else:
                row = extra_columns.rows[extra[i - n_base]]
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
            spherical_m=spherical_m_for_chords(chords) if ball < _WELL_CONDITIONED_CHORD else None,
        )
        chosen = found.positions
        if len(gathered) == 1:
            rows = base_rows[base[chosen]].tolist()
        else:
            rows = [row_at(i) for i in chosen.tolist()]
        # tuple.__new__ skips the NamedTuple's Python-level __new__: a page builds up to 200.
        new = tuple.__new__
        hits = [
            new(NearbyHit, (r.id, r.kind, r.title, r.lat, r.lng, r.altitude_m, distance, bearing))
            for r, distance, bearing in zip(
                rows, found.distances_m.tolist(), found.bearings_deg.tolist(), strict=True
            )
        ]
        return NearbyHits(hits, found.has_more, found.distances_m, found.bearings_deg)

    def _overlay_view(self) -> _Columns:
        # The overlay is small (bounded by the compaction threshold): rebuilding its columns
        # and trees after a write is cheaper than keeping them sorted under writes.
        if self._overlay_columns is None:
            self._overlay_columns = _Columns(list(self._overlay.values()), sort=False)
        return self._overlay_columns
