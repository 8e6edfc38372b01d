"""Cover cells of a set of fence slots, one sorted column per H3 resolution (see
geo.fence_index)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from geo.fence_bins import bin_masks_of, point_mask

if TYPE_CHECKING:
    from geo.fence_index import FenceShape

IntArray = npt.NDArray[np.int64]
CellArray = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class CellTable:
    """Cover cells of some slots, one sorted column per resolution."""

    slots: dict[int, IntArray] = field(default_factory=dict)
    boundary: dict[int, BoolArray] = field(default_factory=dict)
    keys: dict[int, CellArray] = field(default_factory=dict)
    starts: dict[int, IntArray] = field(default_factory=dict)
    bins: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    bin_masks: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    # The same as a dict, for one-point lookups without numpy call overhead.
    bin_dict: dict[int, int] = field(default_factory=dict)

    @classmethod
    def build(cls, shapes: Sequence[tuple[int, "FenceShape"]]) -> "CellTable":
        by_res: dict[int, list[tuple[int, FenceShape]]] = {}
        for slot, shape in shapes:
            by_res.setdefault(shape.res, []).append((slot, shape))
        bins, bin_masks = bin_masks_of([(s.geom.bounds, s.res) for _, s in shapes])
        table = cls(
            bins=bins,
            bin_masks=bin_masks,
            bin_dict=dict(zip(bins.tolist(), bin_masks.tolist(), strict=True)),
        )
        for res, group in by_res.items():
            parts = [s.interior for _, s in group] + [s.boundary for _, s in group]
            sizes = [p.size for p in parts]
            cells = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
            owners = np.array([slot for slot, _ in group] * 2, dtype=np.int64)
            slots = np.repeat(owners, sizes)
            flags = np.repeat(np.arange(len(parts)) >= len(group), sizes)
            order = np.argsort(cells, kind="stable")
            table.slots[res] = slots[order]
            table.boundary[res] = flags[order]
            # Distinct cells and where each one's run of entries starts (CSR style), so a
            # lookup is one binary search over the (smaller) distinct column.
            keys, starts = np.unique(cells[order], return_index=True)
            table.keys[res] = keys
            table.starts[res] = np.append(starts, cells.size).astype(np.int64)
        return table

    def mask_of(self, lat: float, lng: float) -> int:
        """The resolution bitmask of one point (see geo.fence_bins)."""
        return point_mask(self.bin_dict, lat, lng)

    def size(self) -> int:
        return sum(c.size for c in self.slots.values())

    def matches(
        self, point_cells: dict[int, tuple[IntArray, CellArray]]
    ) -> tuple[IntArray, IntArray, BoolArray]:
        """(point index, slot, is boundary cell) for every cover cell holding a point;
        `point_cells[res]` holds the cells (at res) of the points that may need res."""
        found_p: list[IntArray] = []
        found_s: list[IntArray] = []
        found_b: list[BoolArray] = []
        for res, keys in self.keys.items():
            if res not in point_cells:
                continue
            which, pc = point_cells[res]
            # Sorted queries walk the column in order: far fewer cache misses.
            order = np.argsort(pc)
            sorted_cells = pc.take(order)
            k = np.searchsorted(keys, sorted_cells)
            kc = np.minimum(k, keys.size - 1)
            hit = keys.take(kc) == sorted_cells
            starts = self.starts[res]
            lo = starts.take(kc)
            counts = np.where(hit, starts.take(kc + 1) - lo, 0)
            ends = np.cumsum(counts)
            total = int(ends[-1]) if ends.size else 0
            if total == 0:
                continue
            pidx = np.repeat(which.take(order), counts)
            # Positions lo[p], lo[p]+1, ..., hi[p]-1 for every point p, without a Python loop.
            pos = np.repeat(lo - (ends - counts), counts) + np.arange(total)
            found_p.append(pidx)
            found_s.append(self.slots[res].take(pos))
            found_b.append(self.boundary[res].take(pos))
        if not found_p:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy(), np.empty(0, dtype=np.bool_)
        return np.concatenate(found_p), np.concatenate(found_s), np.concatenate(found_b)
