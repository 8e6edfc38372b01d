"""Exact point-in-fence tests without GEOS for points in MIXED raster boxes.

A point in a MIXED box (`geo.fence_raster`) used to go to GEOS. Here each fence keeps, per
raster row, two lists of ring edges whose y-range reaches that row's band: those reaching the
left half of the bounding box and those reaching the right half (an edge across the middle is
in both). A point in the right half counts the crossings of a rightward horizontal ray with
the right list, a point in the left half those of a leftward ray with the left list (half-open
rule at vertices, all rings, even-odd: the inside test of a valid (Multi)Polygon). A list
holds every edge such a ray can meet, so the count is the count over the whole fence; half
lists halve the edges per test on spiky fences, where most edges of a row reach the row.

Why the answer equals GEOS's `covers` (which decides with exact orientation signs):
- Whether an edge's crossing lies right (or left) of the point is the sign of the orientation
  determinant of (start, end, point), computed in Shewchuk's form with the point as the
  common vertex. In float64 it is trusted only when |det| exceeds ~3x Shewchuk's error bound
  for that form (3.3e-16 times the sum of the absolute products), so a trusted sign is the
  exact sign. The y comparisons are exact: fl(py - y0) has the sign of py - y0.
- A point on the boundary has det exactly 0 against the edge it lies on, so the computed det
  is within the bound and the pair is left UNSURE; so is any point whose y equals an edge
  endpoint's y within that edge's x-range with det near 0 (vertices, horizontal edges).
  UNSURE pairs go to GEOS, as do pairs whose box is unknown (the point is not verifiably in
  it) and invalid shapes.
- Every other pair's ray crosses no edge at a point it cannot place exactly, so its parity is
  the exact parity, which for a point off the boundary of a valid shape is GEOS's answer.

Edges are stored lazily, on a fence's first MIXED pair: vertices (16 B each, x + iy) in one
global buffer, per list the start vertex of each edge (4 B per entry) and 129 list offsets
(4 B each), ~4.3 KiB for the bench's average fence (112 vertices). A byte budget bounds the
total: past it, new fences stay with GEOS.
"""

from typing import TypeVar

import numpy as np
import numpy.typing as npt
import shapely

from geo.fence_raster import GRID, grid_steps

ItemT = TypeVar("ItemT", bound=np.generic)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Per-pair outcomes of `EdgeStore.decide`.
OUTSIDE, INSIDE, UNSURE = 0, 1, 2
# Shewchuk's orient2d filter constant is (3 + 16 eps) eps = 3.33e-16 for this exact form
# (differences of the input coordinates, two products, one difference); taken 3x larger.
_DET_REL = 1e-15
# Row bands are widened by this share of a row (plus the rounding of the band limits), so a
# point verifiably in its box's row finds every edge whose y-range holds it.
_ROW_SLACK = 1e-6
_ABS_TOL = 1e-14
_NOT_BUILT, _BUILT, _GEOS_ONLY, _OVER_BUDGET = 0, 1, 2, 3
# Per fence: for each raster row a left list (rows 0..GRID-1) and a right list (GRID..2 GRID-1).
_MIDDLE = GRID // 2
_LISTS = 2 * GRID
# Fences built per vectorised pass: bounds the temporaries.
_CHUNK = 256
# Edge lists cost ~4.3 KiB per fence (measured on the bench's 100,000 fences: 413 MiB for all
# of them). Past this many bytes new fences stay with GEOS, so the index stays well under
# 1 GiB even when every fence gets tested; a hot area of ~17,000 fences needs ~75 MiB.
DEFAULT_BUDGET_BYTES = 192 * 2**20
# Buffers grow by a quarter: the slack stays small next to the budget.
_GROWTH = 1.25


def _grow(buffer: npt.NDArray[ItemT], used: int, extra: int) -> npt.NDArray[ItemT]:
    """`buffer` with room for `extra` more items after `used` (capacity grows by _GROWTH)."""
    if used + extra <= buffer.size:
        return buffer
    bigger = np.empty(max(used + extra, int(_GROWTH * buffer.size), 1024), dtype=buffer.dtype)
    bigger[:used] = buffer[:used]
    return bigger


class EdgeStore:
    """Per-row ring edges of append-only fence slots (see geo.fence_index), made on a slot's
    first MIXED pair and kept until the slots are renumbered."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._reset(0)

    def _reset(self, n: int) -> None:
        # Vertices as x + iy: one gather fetches both coordinates (one cache line).
        self._xy = np.empty(0, dtype=np.complex128)
        self._vertices = 0
        # Start vertex of each (list, edge) entry, grouped by fence, then list.
        self._entries = np.empty(0, dtype=np.int32)
        self._entry_count = 0
        # Offsets into _entries: list k (see _LISTS) of fence slot s spans
        # offsets[base[s] + k : base[s] + k + 1].
        self._offsets = np.empty(0, dtype=np.int32)
        self._offset_count = 0
        self._base = np.zeros(n, dtype=np.int64)
        self._state = np.zeros(n, dtype=np.uint8)

    def resize(self, n: int) -> None:
        """Slots 0..n-1 exist; those past the previous size have no edges yet."""
        done = min(self._state.size, n)
        state = np.zeros(n, dtype=np.uint8)
        base = np.zeros(n, dtype=np.int64)
        state[:done], base[:done] = self._state[:done], self._base[:done]
        self._state, self._base = state, base

    def clear(self) -> None:
        """Forget everything (slots were renumbered); edges are made again on demand."""
        self._reset(self._state.size)

    def decide(
        self,
        slots: IntArray,
        boxes: IntArray,
        x: FloatArray,
        y: FloatArray,
        geoms: npt.NDArray[np.object_],
        bounds: FloatArray,
    ) -> npt.NDArray[np.uint8]:
        """OUTSIDE / INSIDE / UNSURE for point (x[k], y[k]) in slot slots[k], which lies in
        its raster box boxes[k] (-1 when unknown). `geoms` and `bounds` are per slot."""
        state = self._state.take(slots)
        if (state == _NOT_BUILT).any():
            self._ensure(slots[state == _NOT_BUILT], geoms, bounds)
            state = self._state.take(slots)
        out = np.full(slots.size, UNSURE, dtype=np.uint8)
        usable = np.flatnonzero((boxes >= 0) & (state == _BUILT))
        if usable.size == 0:
            return out
        box = boxes.take(usable)
        # Points in the right half of the grid cast their ray rightwards, the others left.
        rightward = box % GRID >= _MIDDLE
        where = self._base.take(slots.take(usable)) + box // GRID + rightward * GRID
        lo = self._offsets.take(where).astype(np.int64)
        counts = self._offsets.take(where + 1) - lo
        ends = np.cumsum(counts)
        firsts = ends - counts
        pair = np.repeat(np.arange(usable.size), counts)
        v = self._entries.take(np.arange(ends[-1]) + np.repeat(lo - firsts, counts))
        # Complex x + iy: each difference is the same float subtraction as on separate
        # coordinates, in half the passes. a = P - start, b = P - end.
        point = (x.take(usable) + 1j * y.take(usable)).take(pair)
        a = point - self._xy.take(v)
        b = point - self._xy.take(v + 1)
        # Orientation of (start, end, P) in Shewchuk's form with P as the common point.
        left = a.real * b.imag
        right = a.imag * b.real
        det = left - right
        sure = np.abs(det) > _DET_REL * (np.abs(left) + np.abs(right))
        # fl(py - y0) has the sign of py - y0 and is 0 only when they are equal.
        above1 = b.imag < 0
        straddle = (a.imag < 0) != above1
        # Straddling: the crossing is right of the point when det has the sign of y1 - y0
        # (rightward rays count those, leftward rays the others).
        crossing = straddle & sure & (((det > 0) == above1) == rightward.take(pair))
        found = np.zeros(crossing.size + 1, dtype=np.int32)
        np.cumsum(crossing, out=found[1:], dtype=np.int32)
        odd = (found.take(ends) - found.take(firsts)) & 1 == 1
        out[usable] = np.where(odd, INSIDE, OUTSIDE)
        # Unsure straddling edges, and edges ending at the point's y (vertices, horizontal
        # edges) with the point possibly on them: the point may be on the boundary. (Off the
        # edge's x-range, a point at an endpoint's y is not on the edge.)
        weak = np.flatnonzero(~sure)
        ax, ay, bx, by = a.real[weak], a.imag[weak], b.real[weak], b.imag[weak]
        in_x = ~(((ax < 0) & (bx < 0)) | ((ax > 0) & (bx > 0)))
        doubt = straddle[weak] | (((ay == 0) | (by == 0)) & in_x)
        out[usable[pair[weak[doubt]]]] = UNSURE
        return out

    def _ensure(self, slots: IntArray, geoms: npt.NDArray[np.object_], bounds: FloatArray) -> None:
        missing = np.unique(slots)
        for start in range(0, missing.size, _CHUNK):
            if self.used_bytes() >= self.budget_bytes:
                self._state[missing[start:]] = _OVER_BUDGET
                return
            self._build(missing[start : start + _CHUNK], geoms, bounds)

    def used_bytes(self) -> int:
        """Bytes of edge lists made so far (without the buffers' spare capacity)."""
        return 16 * self._vertices + 4 * (self._entry_count + self._offset_count)

    def _build(self, slots: IntArray, geoms: npt.NDArray[np.object_], bounds: FloatArray) -> None:
        part = np.asarray(geoms[slots], dtype=object)
        valid = shapely.is_valid(part)
        self._state[slots[~valid]] = _GEOS_ONLY
        slots, part = slots[valid], part[valid]
        if slots.size == 0:
            return
        box = bounds[slots]
        steps = grid_steps(box)
        parts, part_owner = shapely.get_parts(part, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        start = np.flatnonzero(coord_ring[:-1] == coord_ring[1:])
        owner = part_owner[ring_part[coord_ring[start]]].astype(np.int64)
        x0, y0, x1, y1 = (
            coords[start, 0],
            coords[start, 1],
            coords[start + 1, 0],
            coords[start + 1, 1],
        )
        oy, dy = box[owner, 1], steps[owner, 1]
        slack = _ROW_SLACK + _ABS_TOL * (np.abs(oy) + np.abs(y0) + 1.0) / dy
        r0 = np.clip(np.floor((np.minimum(y0, y1) - oy) / dy - slack), 0, GRID - 1)
        r1 = np.clip(np.floor((np.maximum(y0, y1) - oy) / dy + slack), 0, GRID - 1)
        # The left list holds the edges reaching x <= the grid's middle line, the right
        # list those reaching x >= it (the line as `locate` computes box limits), widened.
        ox, dx = box[owner, 0], steps[owner, 0]
        middle = ox + float(_MIDDLE) * dx
        x_slack = _ROW_SLACK * dx + _ABS_TOL * (np.abs(ox) + np.abs(x0) + 1.0)
        in_left = np.minimum(x0, x1) <= middle + x_slack
        in_right = np.maximum(x0, x1) >= middle - x_slack
        edge = np.concatenate([np.flatnonzero(in_left), np.flatnonzero(in_right)])
        half = np.repeat(np.array([0, 1]), [int(in_left.sum()), int(in_right.sum())])
        counts = (r1 - r0 + 1).astype(np.int64)[edge]
        which = np.repeat(np.arange(edge.size), counts)
        row = r0.astype(np.int64)[edge[which]] + np.arange(which.size)
        row -= np.repeat(np.cumsum(counts) - counts, counts)
        edge, half = edge[which], half[which]
        key = (owner[edge] * 2 + half) * GRID + row
        order = np.argsort(key, kind="stable")
        per_list = np.bincount(key, minlength=slots.size * _LISTS).reshape(slots.size, _LISTS)

        vertex0 = self._vertices
        self._xy = _grow(self._xy, self._vertices, len(coords))
        self._xy[vertex0 : vertex0 + len(coords)].real = coords[:, 0]
        self._xy[vertex0 : vertex0 + len(coords)].imag = coords[:, 1]
        self._vertices += len(coords)

        entry0 = self._entry_count
        self._entries = _grow(self._entries, entry0, edge.size)
        self._entries[entry0 : entry0 + edge.size] = vertex0 + start[edge[order]]
        self._entry_count += edge.size

        # _LISTS + 1 offsets per fence; list k of fence f spans [offsets[k], offsets[k + 1]).
        offsets = np.zeros((slots.size, _LISTS + 1), dtype=np.int64)
        offsets[:, 1:] = np.cumsum(per_list.ravel()).reshape(slots.size, _LISTS)
        offsets[1:, 0] = offsets[:-1, _LISTS]
        offsets += entry0
        offset0 = self._offset_count
        self._offsets = _grow(self._offsets, offset0, offsets.size)
        self._offsets[offset0 : offset0 + offsets.size] = offsets.ravel()
        self._offset_count += offsets.size
        self._base[slots] = offset0 + np.arange(slots.size) * (_LISTS + 1)
        self._state[slots] = _BUILT
