"""A small planar raster per fence that settles most exact point tests without GEOS.

Each fence's bounding box (in (lng, lat) degrees, the plane PostGIS `geometry(4326)` and
shapely work in) is split into GRID x GRID boxes. A box is MIXED when some ring edge may touch
it; otherwise it holds no boundary point, so (being connected) it lies wholly inside or wholly
outside the fence, and the state of any one of its points decides it: IN or OUT. The index
needs an exact test (`geo.fence_edges`, then GEOS) only for points in MIXED boxes, so the
answer stays exactly GEOS's `covers` (and PostGIS's `ST_Covers`) while most candidate pairs
cost a few array reads.

Why this is exact, not approximate:
- Box k of a fence spans [X(k), X(k+1)] with X(k) = min_x + k * dx evaluated in float64, the
  same expression at build and at query time. A query first checks X(i) <= x <= X(i+1) (and
  the same for y) with exact float comparisons; a point that fails goes to GEOS.
- An edge is tested against each box in its bounding-box range (widened against rounding) with
  a separating-axis test on the box corners; the tolerance is many orders above float error,
  so a box an edge touches is always MIXED (extra MIXED boxes only cost GEOS calls).
- A non-MIXED box's state is the even-odd crossing parity of a horizontal line through the box
  (half-open rule at vertices, over all rings): crossings are binned by column and counted to
  the left of the box. A crossing near the box would come from an edge touching it, which
  made it MIXED. Even-odd over all rings is the inside test of valid (Multi)Polygons; invalid
  shapes get all-MIXED rasters (GEOS decides everything).
"""

import numpy as np
import numpy.typing as npt
import shapely

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
StateArray = npt.NDArray[np.uint8]

GRID = 64
CELLS = GRID * GRID
PACKED = CELLS // 4  # bytes per fence: four 2-bit states per byte
OUT, IN, MIXED = 0, 1, 2
# Relative tolerance of the separating-axis test: float error is ~1e-16 relative.
_REL_TOL = 1e-9
# Absolute position uncertainty, per unit of coordinate magnitude: box corners are rounded
# sums (origin + k * step), each off by up to half an ulp (~1.1e-16) of the coordinate; this
# allows ~100 ulps, which matters only for fences a few metres across.
_ABS_TOL = 1e-14
# Fences rasterised per vectorised pass: bounds the temporaries (~100 KiB per fence).
_CHUNK = 256


def grid_steps(bounds: FloatArray) -> FloatArray:
    """(dx, dy) per fence from its (min_x, min_y, max_x, max_y) bounds. A degenerate or
    missing box gets steps of 1 (valid shapes never have one; their rasters are all MIXED)."""
    steps = (bounds[:, 2:4] - bounds[:, 0:2]) / GRID
    safe: FloatArray = np.where(np.isfinite(steps) & (steps > 0), steps, 1.0)
    return safe


def box_of(
    x: FloatArray, y: FloatArray, origin: FloatArray, steps: FloatArray
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Flat box index per point (origin/steps rows per point), and whether the point is
    verifiably inside that box by exact float comparisons."""
    return locate(x, y, origin[:, 0], origin[:, 1], steps[:, 0], steps[:, 1])


def locate(
    x: FloatArray, y: FloatArray, ox: FloatArray, oy: FloatArray, dx: FloatArray, dy: FloatArray
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """`box_of` with the origin and steps per point as separate columns."""
    i = np.clip(np.floor((x - ox) / dx), 0, GRID - 1)
    j = np.clip(np.floor((y - oy) / dy), 0, GRID - 1)
    # i and j are small whole floats: i * dx here is the same float as with integer i.
    ok = (ox + i * dx <= x) & (x <= ox + (i + 1) * dx) & (oy + j * dy <= y)
    ok &= y <= oy + (j + 1) * dy
    box: IntArray = (j * GRID + i).astype(np.int64)
    return box, ok


def _edges(geoms: npt.NDArray[np.object_]) -> tuple[IntArray, FloatArray]:
    """(fence index, [x0, y0, x1, y1]) of every ring edge."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_owner = part_owner[ring_part]
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[:-1] == coord_ring[1:]
    start = np.flatnonzero(same)
    seg = np.column_stack([coords[start], coords[start + 1]])
    owner: IntArray = ring_owner[coord_ring[start]].astype(np.int64)
    return owner, seg


def _expand(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """For ranges [lo, hi] (inclusive, may be empty): (range index, value) of every member."""
    counts = np.maximum(hi - lo + 1, 0)
    which = np.repeat(np.arange(lo.size), counts)
    offset = np.arange(which.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return which, lo[which] + offset


def _mixed_boxes(
    owner: IntArray, seg: FloatArray, origin: FloatArray, steps: FloatArray
) -> tuple[IntArray, IntArray]:
    """(fence, flat box) pairs for every box some edge may touch."""
    ox, oy = origin[owner, 0], origin[owner, 1]
    dx, dy = steps[owner, 0], steps[owner, 1]
    x0, y0, x1, y1 = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
    # In boxes: rounding never moves a box boundary this far.
    pos_err = _ABS_TOL * (np.abs(ox) + np.abs(oy) + np.abs(x0) + np.abs(y0) + 1.0)
    slack = 1e-6 + pos_err / np.minimum(dx, dy)
    i0 = np.clip(np.floor((np.minimum(x0, x1) - ox) / dx - slack), 0, GRID - 1).astype(np.int64)
    i1 = np.clip(np.floor((np.maximum(x0, x1) - ox) / dx + slack), 0, GRID - 1).astype(np.int64)
    j0 = np.clip(np.floor((np.minimum(y0, y1) - oy) / dy - slack), 0, GRID - 1).astype(np.int64)
    j1 = np.clip(np.floor((np.maximum(y0, y1) - oy) / dy + slack), 0, GRID - 1).astype(np.int64)
    # Orientation of box corner (i, j) against the edge's line, linear in i and j:
    # ex * (oy + j dy - y0) - ey * (ox + i dx - x0) = base + j * a - i * b.
    ex, ey = x1 - x0, y1 - y0
    base = ex * (oy - y0) - ey * (ox - x0)
    a, b = ex * dy, ey * dx
    corner_lo = np.minimum(a, 0.0) - np.maximum(b, 0.0)
    corner_hi = np.maximum(a, 0.0) - np.minimum(b, 0.0)
    size = np.abs(ex) + np.abs(ey)
    # Float error here is ~1e-13 * size * (dx + dy) at worst (terms are at most ~100 times
    # that product); the tolerance is four orders of magnitude above it, plus the rounding of
    # the corners' positions times the edge's length.
    tol = _REL_TOL * size * (size + dx + dy) + 4.0 * pos_err * size
    width = i1 - i0 + 1
    single = (width == 1) & (j0 == j1)
    # Edges within one box mark it without further tests (most edges of fine polygons).
    f_single, k_single = owner[single], j0[single] * GRID + i0[single]
    multi = np.flatnonzero(~single)
    e, k = _expand(np.zeros(multi.size, np.int64), width[multi] * (j1 - j0 + 1)[multi] - 1)
    e = multi[e]
    w = width[e]
    i = i0[e] + k % w
    j = j0[e] + k // w
    o = base[e] + j * a[e] - i * b[e]
    touches = (o + corner_lo[e] <= tol[e]) & (o + corner_hi[e] >= -tol[e])
    return (
        np.concatenate([f_single, owner[e[touches]]]),
        np.concatenate([k_single, (j * GRID + i)[touches]]),
    )


def _inside_parity(
    owner: IntArray, seg: FloatArray, origin: FloatArray, steps: FloatArray, n: int
) -> npt.NDArray[np.bool_]:
    """(n, CELLS): odd number of edge crossings left of each box on its row's centre line."""
    oy, dy = origin[owner, 1], steps[owner, 1]
    y_lo = np.minimum(seg[:, 1], seg[:, 3])
    y_hi = np.maximum(seg[:, 1], seg[:, 3])
    r0 = np.clip(np.floor((y_lo - oy) / dy - 0.5) - 1, 0, GRID - 1).astype(np.int64)
    r1 = np.clip(np.floor((y_hi - oy) / dy - 0.5) + 1, 0, GRID - 1).astype(np.int64)
    e, row = _expand(r0, r1)
    yc = oy[e] + (row + 0.5) * dy[e]
    y0, y1 = seg[e, 1], seg[e, 3]
    straddle = ((y0 <= yc) & (yc < y1)) | ((y1 <= yc) & (yc < y0))
    e, row, yc = e[straddle], row[straddle], yc[straddle]
    x0, x1 = seg[e, 0], seg[e, 2]
    x = x0 + (yc - seg[e, 1]) * (x1 - x0) / (seg[e, 3] - seg[e, 1])
    x = np.clip(x, np.minimum(x0, x1), np.maximum(x0, x1))
    f = owner[e]
    col = np.clip(np.floor((x - origin[f, 0]) / steps[f, 0]), 0, GRID - 1).astype(np.int64)
    counts = np.bincount(f * CELLS + row * GRID + col, minlength=n * CELLS).reshape(n, GRID, GRID)
    left = np.cumsum(counts, axis=2) - counts
    inside: npt.NDArray[np.bool_] = (left % 2 == 1).reshape(n, CELLS)
    return inside


def state_at(packed: StateArray, slots: IntArray, boxes: IntArray) -> StateArray:
    """States of box `boxes[k]` of fence row `slots[k]` in a packed (rows, PACKED) array."""
    shift = (boxes & 3) * 2
    state: StateArray = (packed[slots, boxes >> 2] >> shift.astype(np.uint8)) & 3
    return state


def rasterise(geoms: npt.NDArray[np.object_], bounds: FloatArray) -> StateArray:
    """(len(geoms), PACKED) box states (OUT / IN / MIXED, 2 bits each, box k in bits
    2*(k%4) of byte k//4) of each fence's bounding-box grid."""
    n = len(geoms)
    out = np.full((n, CELLS), MIXED, dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        chunk = geoms[sl]
        valid = shapely.is_valid(chunk)
        if not valid.any():
            continue
        # A valid shape has a non-degenerate bounding box, so its steps are its own.
        part, box = np.asarray(chunk[valid], dtype=object), bounds[sl][valid]
        origin, steps = box[:, 0:2].copy(), grid_steps(box)
        owner, seg = _edges(part)
        states = _inside_parity(owner, seg, origin, steps, len(part)).astype(np.uint8)
        f, k = _mixed_boxes(owner, seg, origin, steps)
        states[f, k] = MIXED
        out[sl][valid] = states
    quads = out.reshape(n, PACKED, 4)
    packed = quads[:, :, 0] | quads[:, :, 1] << 2 | quads[:, :, 2] << 4 | quads[:, :, 3] << 6
    return packed.astype(np.uint8)


class RasterStore:
    """Rasters of append-only slots (see geo.fence_index), made on a slot's first exact test
    and kept; capacity grows by a quarter at a time, so small updates copy nothing, and
    np.zeros leaves rows unallocated until first written."""

    def __init__(self) -> None:
        self.packed: StateArray = np.empty((0, PACKED), dtype=np.uint8)
        self.ready = np.zeros(0, dtype=np.bool_)

    def resize(self, n: int) -> None:
        """Slots 0..n-1 exist; those past the previous size have no raster yet."""
        ready = np.zeros(n, dtype=np.bool_)
        done = min(self.ready.size, n)
        ready[:done] = self.ready[:done]
        if n > len(self.packed):
            packed = np.zeros((max(n, len(self.packed) * 5 // 4 + 64), PACKED), dtype=np.uint8)
            packed[:done] = self.packed[:done]
            self.packed = packed
        self.ready = ready

    def nbytes(self) -> int:
        """Bytes of the rasters made so far (unwritten rows of `packed` are never touched)."""
        return int(self.ready.sum()) * PACKED + self.ready.nbytes

    def compact(self, live: list[bool]) -> None:
        """Slots renumbered by dropping the dead ones (live[i] for the slots known so far)."""
        kept = [i for i, alive in enumerate(live[: self.ready.size]) if alive]
        self.packed, self.ready = self.packed[kept], self.ready[kept]

    def build(self, slots: IntArray, geoms: npt.NDArray[np.object_], bounds: FloatArray) -> None:
        """Make the rasters of these (distinct) slots; `geoms` and `bounds` are per slot."""
        self.packed[slots] = rasterise(geoms[slots], bounds[slots])
        self.ready[slots] = True

    def states(
        self,
        slots: IntArray,
        x: FloatArray,
        y: FloatArray,
        frames: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
        geoms: npt.NDArray[np.object_],
        bounds: FloatArray,
    ) -> tuple[StateArray, IntArray]:
        """The state of the box holding (x[k], y[k]) in slot slots[k]'s raster (MIXED where
        the point is not verifiably in it), and that box (-1 where not verifiably in it).
        `frames` is (min_x, min_y, dx, dy) per pair; `geoms` and `bounds` are per slot."""
        if not self.ready.take(slots).all():
            self.build(np.unique(slots[~self.ready[slots]]), geoms, bounds)
        box, ok = locate(x, y, *frames)
        # One flat gather: packed rows are contiguous, PACKED bytes each.
        byte = self.packed.reshape(-1).take(slots * PACKED + (box >> 2))
        shift = ((box & 3) * 2).astype(np.uint8)
        state: StateArray = ((byte >> shift) & 3).astype(np.uint8, copy=False)
        state[~ok] = MIXED
        verified: IntArray = np.where(ok, box, -1)
        return state, verified
