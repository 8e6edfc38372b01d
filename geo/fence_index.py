"""An in-memory point-in-fence index: H3 cover lookup, an exact test only on boundary cells.

Semantics: a fence covers a point exactly when shapely's `covers` says so for the stored
(lng, lat) planar geometry, which is what PostGIS `ST_Covers` computes on `geometry(4326)`
(boundary points count as inside).

Lookup. Each fence has a cover (`geo.cover`) at one resolution: interior cells lie wholly
inside it, boundary cells may straddle it, and every point of the fence lies in one of the
two. For a batch of points the index computes each point's cell at every resolution in use,
finds the matching cover cells with binary searches in sorted numpy columns (one column per
resolution) and accepts interior matches outright. A boundary match is settled by, in turn,
the fence's bounding box, its box raster (`geo.fence_raster`: a 64 x 64 grid over the bounding
box whose boxes are known to lie wholly inside or outside, made by `warm` or on the fence's
first exact test, and kept), for points in raster boxes an edge passes through, a ray-crossing count
over the ring edges of the point's raster row (`geo.fence_edges`: float orientation signs
behind an error-bound filter, made lazily like the rasters) and, for the pairs it cannot
settle (points on or within rounding of an edge, invalid shapes), shapely's `covers`.

Updates. Fences are stored in append-only slots. A full `load` sorts everything into a base
table; later upserts and removals mark old slots dead and rebuild only a small overlay table
of the newer slots, and the whole thing is re-sorted once the overlay grows past a fraction
of the base. Readers see either the old or the new tables (swapped by assignment).

Distances to the boundary (for hysteresis margins) are measured in metres in a local plane at
the query point: (lng, lat) offsets scaled by the WGS84 prime-vertical and meridional radii of
curvature there. The relative error against the geodesic distance is below 1e-4 for distances
under 1 km. Decisions use cheap conservative degree bounds first and measure only pairs whose
distance is close to the margin.
"""

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import Generic, TypeVar

import h3.api.basic_int as h3
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from geo.fence_bins import lookup_masks, point_squares
from geo.fence_edges import INSIDE as INSIDE_RING
from geo.fence_edges import UNSURE, EdgeStore
from geo.fence_raster import IN, MIXED, RasterStore, grid_steps
from geo.fence_table import CellTable

FloatArray = npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex128]
IntArray = npt.NDArray[np.int64]
CellArray = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]
KeyT = TypeVar("KeyT", bound=Hashable)

# h3.api.basic_int.latlng_to_cell is this compiled function behind a Python wrapper that
# returns its result unchanged (`_out_scalar` is the identity for int cells); called directly
# it costs ~0.7 instead of ~1.7 us per point, and the H3 calls dominate a dense lookup.
# tests/geo/test_fence_index.py checks that both agree.
_latlng_to_cell: Callable[[float, float, int], int]
try:
    from h3._cy import latlng_to_cell as _compiled_latlng_to_cell

    _latlng_to_cell = _compiled_latlng_to_cell
except ImportError:  # a later h3 may move it; the public function gives the same cells
    _latlng_to_cell = h3.latlng_to_cell

_WGS84_A = 6378137.0
_WGS84_E2 = 6.69437999014e-3
# Overlay slots beyond this share of the base (or this count) trigger a full re-sort.
_OVERLAY_SHARE = 0.1
_OVERLAY_MIN = 2000
# Pair kinds from the cover lookup.
_INTERIOR, _BOUNDARY, _EXTRA = 0, 1, 2
INSIDE, BORDER = 0, 1
# MIXED pairs below this count go straight to GEOS: the edge test's ~40 numpy calls cost more
# than a few GEOS calls (~2 us each), e.g. for one point per call.
_EDGE_PAIRS_MIN = 64


@dataclass(frozen=True, slots=True)
class FenceShape:
    """A fence as the index needs it: the exact geometry and its cover at `res`."""

    geom: Polygon | MultiPolygon
    res: int
    interior: CellArray  # cells at `res`, wholly inside
    boundary: CellArray  # cells at `res`, need the exact test
    active_from: float = -math.inf  # unix seconds; the window is [from, until)
    active_until: float = math.inf


def _covers(geoms: npt.NDArray[np.object_], points: object) -> BoolArray:
    """The exact test. Not `intersects_xy`: it prepares each polygon in place and keeps it
    prepared, which would grow memory by several KiB per fence ever tested."""
    covered: BoolArray = shapely.covers(geoms, points)
    return covered


def metres_per_degree(lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(east, north) metres per degree of longitude and latitude at each latitude (WGS84)."""
    phi = np.radians(lat)
    w = np.sqrt(1.0 - _WGS84_E2 * np.sin(phi) ** 2)
    prime_vertical = _WGS84_A / w
    meridional = _WGS84_A * (1.0 - _WGS84_E2) / w**3
    # Clamped so a point on a pole still gets a finite (huge) degree bound.
    east = np.radians(1.0) * prime_vertical * np.maximum(np.cos(phi), 1e-9)
    north = np.radians(1.0) * meridional
    return east, north


def _local_distance_m(
    boundary: shapely.Geometry, lng: float, lat: float, east: float, north: float
) -> float:
    def scale(coords: FloatArray) -> FloatArray:
        scaled: FloatArray = (coords - np.array([lng, lat])) * np.array([east, north])
        return scaled

    return float(shapely.distance(shapely.transform(boundary, scale), Point(0.0, 0.0)))


@dataclass(frozen=True, slots=True)
class PairResult:
    """Per (point, fence) pair: `state` INSIDE (covered, farther than the margin from the
    boundary) or BORDER (boundary within the margin, either side)."""

    point: IntArray
    slot: IntArray
    state: IntArray


class FenceIndex(Generic[KeyT]):
    def __init__(self) -> None:
        self._keys: list[KeyT | None] = []
        self._shapes: list[FenceShape | None] = []
        self._slot_of: dict[KeyT, int] = {}
        self._alive = np.zeros(0, dtype=np.bool_)
        self._all_alive = True
        self._from = np.zeros(0, dtype=np.float64)
        self._until = np.zeros(0, dtype=np.float64)
        self._geoms = np.empty(0, dtype=object)
        self._key_array = np.empty(0, dtype=object)
        self._boundaries = np.empty(0, dtype=object)
        self._bounds = np.empty((0, 4), dtype=np.float64)
        # Bounds and raster steps per slot as contiguous columns: min_x, min_y, max_x, max_y,
        # dx, dy.
        self._frame: tuple[ComplexArray, ...] = tuple(np.empty(0, np.complex128) for _ in range(3))
        # Box rasters (geo.fence_raster), made on a fence's first exact test and kept.
        self._rasters = RasterStore()
        # Per-row ring edges (geo.fence_edges), made on a fence's first MIXED pair and kept.
        self._edges = EdgeStore()
        self._base = CellTable()
        self._base_slots = 0
        self._overlay = CellTable()

    # ---- writes ---------------------------------------------------------------------------

    def load(self, items: Iterable[tuple[KeyT, FenceShape]]) -> None:
        """Replace everything with `items` and sort one base table."""
        self._keys, self._shapes, self._slot_of = [], [], {}
        self._rasters = RasterStore()
        self._edges = EdgeStore()
        for key, shape in items:
            if key in self._slot_of:
                self._shapes[self._slot_of[key]] = None
                self._keys[self._slot_of[key]] = None
            self._slot_of[key] = len(self._shapes)
            self._keys.append(key)
            self._shapes.append(shape)
        self._rebuild()

    def upsert(self, items: Iterable[tuple[KeyT, FenceShape]]) -> None:
        for key, shape in items:
            self._drop(key)
            self._slot_of[key] = len(self._shapes)
            self._keys.append(key)
            self._shapes.append(shape)
        self._after_change()

    def remove(self, keys: Iterable[KeyT]) -> None:
        for key in keys:
            self._drop(key)
        self._after_change()

    def _drop(self, key: KeyT) -> None:
        slot = self._slot_of.pop(key, None)
        if slot is not None:
            self._shapes[slot] = None
            self._keys[slot] = None

    def _after_change(self) -> None:
        overlay = len(self._shapes) - self._base_slots
        if overlay > max(_OVERLAY_MIN, _OVERLAY_SHARE * len(self._slot_of)):
            self._rebuild()
            return
        self._refresh_columns()
        self._overlay = CellTable.build(
            [
                (s, shape)
                for s in range(self._base_slots, len(self._shapes))
                if (shape := self._shapes[s]) is not None
            ]
        )

    def _rebuild(self) -> None:
        # Compact the slots: dead ones are dropped for good.
        live = [(k, s) for k, s in zip(self._keys, self._shapes, strict=True) if s is not None]
        self._rasters.compact([s is not None for s in self._shapes])
        if any(s is None for s in self._shapes):
            self._edges.clear()  # slots are renumbered below
        self._keys = [k for k, _ in live]
        self._shapes = [s for _, s in live]
        self._slot_of = {k: i for i, k in enumerate(self._keys) if k is not None}
        self._boundaries = np.empty(0, dtype=object)  # slots moved: drop cached boundaries
        self._refresh_columns()
        self._base = CellTable.build([(i, s) for i, (_, s) in enumerate(live)])
        self._base_slots = len(self._shapes)
        self._overlay = CellTable()

    def _refresh_columns(self) -> None:
        n = len(self._shapes)
        alive = np.fromiter((s is not None for s in self._shapes), dtype=np.bool_, count=n)
        geoms = np.empty(n, dtype=object)
        frm = np.full(n, np.inf)
        until = np.full(n, -np.inf)
        for i, s in enumerate(self._shapes):
            if s is not None:
                geoms[i], frm[i], until[i] = s.geom, s.active_from, s.active_until
        boundaries = np.empty(n, dtype=object)
        old = self._boundaries.size
        # Boundaries are made on first use (only classify needs them); keep those made.
        boundaries[: min(old, n)] = self._boundaries[: min(old, n)]
        boundaries[~alive] = None
        bounds = np.full((n, 4), np.nan)
        if alive.any():
            bounds[alive] = shapely.bounds(geoms[alive])
        # fromiter, not np.array: keys that are tuples must stay whole objects.
        key_array = np.fromiter(self._keys, dtype=object, count=n)
        self._alive, self._geoms, self._from, self._until = alive, geoms, frm, until
        self._all_alive = bool(alive.all())
        self._boundaries, self._bounds, self._key_array = boundaries, bounds, key_array
        steps = grid_steps(bounds)
        # Per slot as x + iy columns (lower corner, upper corner, raster steps): one gather
        # fetches both coordinates.
        self._frame = (
            bounds[:, 0] + 1j * bounds[:, 1],
            bounds[:, 2] + 1j * bounds[:, 3],
            steps[:, 0] + 1j * steps[:, 1],
        )
        self._rasters.resize(n)
        self._edges.resize(n)

    # ---- reads ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot_of)

    def key_of(self, slot: int) -> KeyT:
        key = self._keys[slot]
        assert key is not None
        return key

    def keys_by_point(self, pidx: IntArray, slots: IntArray, n: int) -> list[list[KeyT]]:
        """The keys of (point, slot) pairs as one list per point 0..n-1 (one sort, no
        per-pair Python calls beyond a list lookup)."""
        offsets, keys = self.keys_csr(pidx, slots, n)
        found: list[KeyT] = keys.tolist()
        ends = offsets.tolist()
        return [found[a:b] for a, b in pairwise(ends)]

    def keys_csr(
        self, pidx: IntArray, slots: IntArray, n: int
    ) -> tuple[IntArray, npt.NDArray[np.object_]]:
        """The keys of (point, slot) pairs grouped by point, CSR style: point i's keys are
        keys[offsets[i]:offsets[i + 1]] (offsets has n + 1 entries)."""
        # A stable sort of 16-bit ints is a radix sort: ~5x faster than on int64.
        small = pidx.astype(np.int16) if n <= np.iinfo(np.int16).max else pidx
        order = np.argsort(small, kind="stable")
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(pidx, minlength=n), out=offsets[1:])
        keys: npt.NDArray[np.object_] = self._key_array.take(slots.take(order))
        return offsets, keys

    def slot_of(self, key: KeyT) -> int | None:
        return self._slot_of.get(key)

    def shape_at(self, slot: int) -> FenceShape | None:
        return self._shapes[slot]

    def lazy_nbytes(self) -> tuple[int, int]:
        """Bytes held by the rasters and the edge lists made so far (made on demand)."""
        return self._rasters.nbytes(), self._edges.used_bytes()

    def warm(self, limit: int) -> int:
        """Make the rasters of up to `limit` live fences that have none yet, and return how
        many were made (0: all are made). Otherwise a raster is made on its fence's first
        exact test (~0.3 ms each), inside whatever lookup met the fence first: after a start,
        the first batch of points in a dense area would pay for thousands of them at once."""
        missing = np.flatnonzero(self._alive & ~self._rasters.ready[: self._alive.size])
        chosen = missing[:limit]
        if chosen.size:
            self._rasters.build(chosen, self._geoms, self._bounds)
        return int(chosen.size)

    def cell_count(self) -> int:
        return self._base.size() + self._overlay.size()

    def _point_cells(
        self, lats: FloatArray, lngs: FloatArray
    ) -> dict[int, tuple[IntArray, CellArray]]:
        """Per resolution in use: the points near some fence of that resolution, and their
        cells. The H3 call per point and resolution is the dominant cost of a lookup."""
        squares = point_squares(lats, lngs)
        masks = lookup_masks(self._base.bins, self._base.bin_masks, squares) | lookup_masks(
            self._overlay.bins, self._overlay.bin_masks, squares
        )
        out: dict[int, tuple[IntArray, CellArray]] = {}
        lat_list: list[float] | None = None
        lng_list: list[float] | None = None
        for res in set(self._base.keys) | set(self._overlay.keys):
            which = np.flatnonzero(masks & (1 << res))
            if which.size == 0:
                continue
            if which.size == lats.size:  # every point: skip the gathers (dense batches)
                if lat_list is None or lng_list is None:
                    lat_list, lng_list = lats.tolist(), lngs.tolist()
                lat_in, lng_in = lat_list, lng_list
            else:
                lat_in, lng_in = lats.take(which).tolist(), lngs.take(which).tolist()
            # map() over the C function: no Python frame per point.
            found = map(_latlng_to_cell, lat_in, lng_in, repeat(res))
            out[res] = (which, np.fromiter(found, dtype=np.uint64, count=which.size))
        return out

    def _candidates(
        self, lats: FloatArray, lngs: FloatArray, at: float | None
    ) -> tuple[IntArray, IntArray, BoolArray]:
        cells = self._point_cells(lats, lngs)
        parts = [self._base.matches(cells), self._overlay.matches(cells)]
        pidx = np.concatenate([p[0] for p in parts])
        slots = np.concatenate([p[1] for p in parts])
        boundary = np.concatenate([p[2] for p in parts])
        if at is None and self._all_alive:
            return pidx, slots, boundary
        keep = self._alive.take(slots)
        if at is not None:
            keep &= (self._from.take(slots) <= at) & (at < self._until.take(slots))
        return pidx[keep], slots[keep], boundary[keep]

    def covering(
        self,
        lats: Sequence[float] | FloatArray,
        lngs: Sequence[float] | FloatArray,
        *,
        at: float | None = None,
    ) -> tuple[IntArray, IntArray]:
        """(point index, slot) for every fence that covers a point, grouped by point order
        of discovery (not sorted)."""
        lat_a = np.asarray(lats, dtype=np.float64)
        lng_a = np.asarray(lngs, dtype=np.float64)
        pidx, slots, boundary = self._candidates(lat_a, lng_a, at)
        if boundary.any():
            sel = np.flatnonzero(boundary)
            keep = np.ones(pidx.size, dtype=np.bool_)
            keep[sel] = self._exact(pidx.take(sel), slots.take(sel), lat_a, lng_a)
            pidx, slots = pidx[keep], slots[keep]
        return pidx, slots

    def _exact(
        self, pidx: IntArray, slots: IntArray, lat_a: FloatArray, lng_a: FloatArray
    ) -> BoolArray:
        """covers(fence, point) per pair: a bounding-box test first (boundary cells reach
        well past small fences), then the fence's raster; pairs in boxes an edge may touch
        (MIXED) get the per-row edge test (`geo.fence_edges`) when there are enough of them,
        and GEOS gets what is left (one shapely Point per distinct point, not per pair)."""
        x, y = lng_a.take(pidx), lat_a.take(pidx)
        lower, upper, step = self._frame
        low, high = lower.take(slots), upper.take(slots)
        result = (low.real <= x) & (low.imag <= y) & (x <= high.real) & (y <= high.imag)
        todo = np.flatnonzero(result)
        if todo.size:
            s, px, py = slots.take(todo), x.take(todo), y.take(todo)
            origin, steps = low.take(todo), step.take(s)
            frames = (origin.real, origin.imag, steps.real, steps.imag)
            state, box = self._rasters.states(s, px, py, frames, self._geoms, self._bounds)
            result[todo] = state == IN
            mixed = np.flatnonzero(state == MIXED)
            todo = todo[mixed]
            if todo.size >= _EDGE_PAIRS_MIN:
                verdict = self._edges.decide(
                    s[mixed], box[mixed], px[mixed], py[mixed], self._geoms, self._bounds
                )
                result[todo] = verdict == INSIDE_RING
                todo = todo[verdict == UNSURE]
        if todo.size:
            needed = np.unique(pidx[todo])
            points = np.empty(lat_a.size, dtype=object)
            points[needed] = shapely.points(lng_a[needed], lat_a[needed])
            result[todo] = _covers(self._geoms[slots[todo]], points[pidx[todo]])
        return result

    def _boundary_of(self, slots: IntArray) -> npt.NDArray[np.object_]:
        unset = np.array([b is None for b in self._boundaries[slots]], dtype=np.bool_)
        missing = np.unique(slots[unset])
        if missing.size:
            self._boundaries[missing] = shapely.boundary(self._geoms[missing])
        return self._boundaries[slots]

    def classify(
        self,
        lats: Sequence[float] | FloatArray,
        lngs: Sequence[float] | FloatArray,
        margins_m: Sequence[float] | FloatArray,
        includes: Sequence[Iterable[KeyT]] | None = None,
        *,
        at: float | None = None,
    ) -> PairResult:
        """INSIDE/BORDER pairs for fences that cover a point or are in its `includes`."""
        lat_a = np.asarray(lats, dtype=np.float64)
        lng_a = np.asarray(lngs, dtype=np.float64)
        margin = np.asarray(margins_m, dtype=np.float64)
        pidx, slots, boundary = self._candidates(lat_a, lng_a, at)
        kinds = np.where(boundary, _BOUNDARY, _INTERIOR)
        included = np.zeros(pidx.size, dtype=np.bool_)
        if includes is not None:
            pidx, slots, kinds, included = self._with_includes(pidx, slots, kinds, includes, at)
        if pidx.size == 0:
            empty = np.empty(0, dtype=np.int64)
            return PairResult(empty, empty.copy(), empty.copy())

        covered = kinds == _INTERIOR
        exact = kinds == _BOUNDARY
        if exact.any():
            covered[exact] = self._exact(pidx[exact], slots[exact], lat_a, lng_a)
        needed = np.unique(pidx)
        point_of = np.empty(lat_a.size, dtype=object)
        point_of[needed] = shapely.points(lng_a[needed], lat_a[needed])
        points = point_of[pidx]

        east, north = metres_per_degree(lat_a[pidx])
        m = margin[pidx]
        rings = self._boundary_of(slots)
        # Degree distance d bounds the local distance: min(east, north)*d <= it <= max(...)*d,
        # so only pairs between the two bounds need the exact local measurement.
        d_deg = shapely.distance(rings, points)
        near = d_deg <= m / np.maximum(east, north)
        unsure = ~near & (d_deg <= m / np.minimum(east, north))
        for j in np.flatnonzero(unsure).tolist():
            p = int(pidx[j])
            dist = _local_distance_m(rings[j], lng_a[p], lat_a[p], east[j], north[j])
            near[j] = dist <= m[j]
        state = np.where(near, BORDER, INSIDE)
        # Boundary-cell candidates that turn out to be outside are dropped even when near: the
        # answer must not depend on how cells happen to fall (only `includes` ask for those).
        keep = covered | (near & included)
        return PairResult(pidx[keep], slots[keep], state[keep])

    def _with_includes(
        self,
        pidx: IntArray,
        slots: IntArray,
        kinds: IntArray,
        includes: Sequence[Iterable[KeyT]],
        at: float | None,
    ) -> tuple[IntArray, IntArray, IntArray, BoolArray]:
        """Candidates plus the included pairs, and which pairs were included."""
        extra_p: list[int] = []
        extra_s: list[int] = []
        for p, keys in enumerate(includes):
            for key in keys:
                slot = self._slot_of.get(key)
                if slot is not None:
                    extra_p.append(p)
                    extra_s.append(slot)
        if not extra_p:
            return pidx, slots, kinds, np.zeros(pidx.size, dtype=np.bool_)
        ep = np.asarray(extra_p, dtype=np.int64)
        es = np.asarray(extra_s, dtype=np.int64)
        if at is not None:
            ok = (self._from[es] <= at) & (at < self._until[es])
            ep, es = ep[ok], es[ok]
        # A fence that covers the point is already a candidate; an included one that is not
        # cannot cover it (the cover is complete) and only needs its distance measured.
        width = max(len(self._shapes), 1)
        wanted = np.unique(ep * width + es)
        pair_ids = pidx * width + slots
        seen = np.isin(wanted, pair_ids)
        extra = wanted[~seen]
        return (
            np.concatenate([pidx, extra // width]),
            np.concatenate([slots, extra % width]),
            np.concatenate([kinds, np.full(extra.size, _EXTRA)]),
            np.concatenate([np.isin(pair_ids, wanted), np.ones(extra.size, dtype=np.bool_)]),
        )

    # ---- one point: the same answers without the per-call cost of numpy batches ----------

    def _candidates_one(
        self, lat: float, lng: float, at: float | None
    ) -> tuple[IntArray, BoolArray]:
        """(slots, is boundary cell) of the live cover cells holding one point."""
        found_s: list[IntArray] = []
        found_b: list[BoolArray] = []
        cells: dict[int, np.uint64] = {}
        mask = self._base.mask_of(lat, lng) | self._overlay.mask_of(lat, lng)
        for table in (self._base, self._overlay):
            for res, keys in table.keys.items():
                if not mask & (1 << res):
                    continue
                cell = cells.get(res)
                if cell is None:
                    cell = cells[res] = np.uint64(h3.latlng_to_cell(lat, lng, res))
                k = int(keys.searchsorted(cell))
                if k < keys.size and keys[k] == cell:
                    lo, hi = int(table.starts[res][k]), int(table.starts[res][k + 1])
                    found_s.append(table.slots[res][lo:hi])
                    found_b.append(table.boundary[res][lo:hi])
        if not found_s:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.bool_)
        slots, boundary = np.concatenate(found_s), np.concatenate(found_b)
        keep = self._alive[slots]
        if at is not None:
            keep &= (self._from[slots] <= at) & (at < self._until[slots])
        return slots[keep], boundary[keep]

    def covering_one(self, lat: float, lng: float, *, at: float | None = None) -> list[int]:
        """Slots of the fences covering one point (same answer as `covering`)."""
        slots, boundary = self._candidates_one(lat, lng, at)
        if boundary.any():
            # One vectorised pass (bounding boxes, rasters, then GEOS): per-call overhead
            # dominates single shapely predicates, and plain Python per candidate is no faster.
            test = slots[boundary]
            covered = self._exact(
                np.zeros(test.size, np.int64), test, np.array([lat]), np.array([lng])
            )
            boundary[boundary] = ~covered
        result: list[int] = slots[~boundary].tolist()
        return result

    def classify_one(
        self,
        lat: float,
        lng: float,
        margin_m: float,
        include: Iterable[KeyT] = (),
        *,
        at: float | None = None,
    ) -> list[tuple[int, int]]:
        """(slot, INSIDE or BORDER) for one point (same answer as `classify`)."""
        slots_found, boundary_found = self._candidates_one(lat, lng, at)
        kinds = {
            s: _BOUNDARY if b else _INTERIOR
            for s, b in zip(slots_found.tolist(), boundary_found.tolist(), strict=True)
        }
        included: set[int] = set()
        for key in include:
            slot = self._slot_of.get(key)
            if slot is None or not (at is None or self._from[slot] <= at < self._until[slot]):
                continue
            included.add(slot)
            kinds.setdefault(slot, _EXTRA)
        if not kinds:
            return []
        slots = np.fromiter(kinds, dtype=np.int64, count=len(kinds))
        kind = np.fromiter(kinds.values(), dtype=np.int64, count=len(kinds))
        covered = kind == _INTERIOR
        exact = kind == _BOUNDARY
        if exact.any():
            lat_a, lng_a = np.array([lat]), np.array([lng])
            covered[exact] = self._exact(
                np.zeros(int(exact.sum()), np.int64), slots[exact], lat_a, lng_a
            )
        east_a, north_a = metres_per_degree(np.array([lat]))
        east, north = float(east_a[0]), float(north_a[0])
        rings = self._boundary_of(slots)
        d_deg = shapely.distance(rings, Point(lng, lat))
        out: list[tuple[int, int]] = []
        for j, slot in enumerate(slots.tolist()):
            near = bool(d_deg[j] <= margin_m / max(east, north))
            if not near and d_deg[j] <= margin_m / min(east, north):
                near = _local_distance_m(rings[j], lng, lat, east, north) <= margin_m
            if covered[j] or (near and slot in included):
                out.append((slot, BORDER if near else INSIDE))
        return out

    def signed_distance_m(self, key: KeyT, lat: float, lng: float) -> float | None:
        """Local-plane distance from the point to the fence's boundary, negative inside."""
        slot = self._slot_of.get(key)
        if slot is None:
            return None
        geom = self._geoms[slot]
        east, north = metres_per_degree(np.array([lat]))
        ring = self._boundary_of(np.array([slot]))[0]
        dist = _local_distance_m(ring, lng, lat, float(east[0]), float(north[0]))
        return -dist if shapely.covers(geom, Point(lng, lat)) else dist
