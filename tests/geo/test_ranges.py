import itertools

import h3.api.basic_int as h3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import cover_ranges, descendant_range
from geo.h3cells import _next_cell
from tests.geo.strategies import awkward_points, near_pentagon_points


def _in_ranges(ranges: np.ndarray, values: list[int]) -> list[bool]:
    """The lookup the app performs: searchsorted over the range starts."""
    arr = np.array(values, dtype=np.int64)
    row = np.searchsorted(ranges[:, 0], arr, side="right") - 1
    ok = row >= 0
    hit = np.zeros(arr.shape, dtype=bool)
    hit[ok] = arr[ok] <= ranges[row[ok], 1]
    return hit.tolist()


@st.composite
def cells(draw: st.DrawFn, max_res: int = 15) -> int:
    lat, lng = draw(st.one_of(awkward_points, near_pentagon_points()))
    return int(h3.latlng_to_cell(lat, lng, draw(st.integers(0, max_res))))


@settings(deadline=None)
@given(cells(max_res=15), st.integers(0, 4))
def test_descendant_range_is_min_and_max_child(cell: int, depth: int) -> None:
    fine = min(15, h3.get_resolution(cell) + depth)
    children = h3.cell_to_children(cell, fine)
    assert descendant_range(cell, fine) == (min(children), max(children))


def test_descendant_range_of_pentagons() -> None:
    for res in (0, 7, 13):
        for pentagon in h3.get_pentagons(res):
            children = h3.cell_to_children(pentagon, res + 2)
            assert descendant_range(pentagon, res + 2) == (min(children), max(children))


def test_descendant_range_edge_cases() -> None:
    cell = h3.latlng_to_cell(48.1, 11.5, 15)
    assert descendant_range(cell) == (cell, cell)
    coarse = h3.cell_to_parent(cell, 3)
    lo, hi = descendant_range(coarse)
    assert lo <= cell <= hi
    assert hi < 2**63
    with pytest.raises(ValueError, match="coarser"):
        descendant_range(cell, 10)
    with pytest.raises(ValueError, match="valid"):
        descendant_range(12345)


@settings(deadline=None)
@given(awkward_points)
def test_fine_cell_lies_in_every_ancestors_range(point: tuple[float, float]) -> None:
    fine = h3.latlng_to_cell(*point, 15)
    for res in range(16):
        lo, hi = descendant_range(h3.cell_to_parent(fine, res))
        assert lo <= fine <= hi


@settings(deadline=None)
@given(cells(max_res=12), awkward_points, st.integers(0, 2**32))
def test_range_membership_is_exactly_descent(
    parent: int, elsewhere: tuple[float, float], seed: int
) -> None:
    """Ints in the range are descendants and nothing else: check sampled children, the cells
    just around the parent (the likeliest false positives) and an unrelated cell."""
    res = h3.get_resolution(parent)
    fine_res = min(15, res + 3)
    lo, hi = descendant_range(parent, fine_res)
    size = h3.cell_to_children_size(parent, fine_res)
    sampler = np.random.default_rng(seed)
    children = [
        h3.child_pos_to_cell(parent, fine_res, int(p)) for p in sampler.integers(size, size=8)
    ]
    around = [
        h3.child_pos_to_cell(
            n, fine_res, int(sampler.integers(h3.cell_to_children_size(n, fine_res)))
        )
        for n in h3.grid_disk(parent, 1)
    ]
    unrelated = h3.latlng_to_cell(*elsewhere, fine_res)
    for fine in [*children, *around, unrelated]:
        assert (lo <= fine <= hi) == (h3.cell_to_parent(fine, res) == parent)


def test_cover_ranges_of_children_collapse_to_parent() -> None:
    parent = h3.latlng_to_cell(48.1, 11.5, 8)
    ranges = cover_ranges(h3.cell_to_children(parent))
    assert ranges.tolist() == [list(descendant_range(parent))]
    pentagon = h3.get_pentagons(5)[3]
    assert cover_ranges(h3.cell_to_children(pentagon)).tolist() == [
        list(descendant_range(pentagon))
    ]


def test_cover_ranges_empty_and_dtype() -> None:
    empty = cover_ranges([])
    assert empty.shape == (0, 2)
    assert empty.dtype == np.int64
    one = cover_ranges([h3.latlng_to_cell(0.0, 0.0, 9)])
    assert one.dtype == np.int64
    assert one.shape == (1, 2)


@settings(deadline=None)
@given(
    st.lists(cells(max_res=13), min_size=1, max_size=6),
    st.integers(0, 2),
    st.integers(0, 2**32),
)
def test_cover_ranges_membership_matches_ancestry(seeds: list[int], spread: int, seed: int) -> None:
    # Clustered, mixed-resolution inputs: disks around seed cells, some compacted.
    input_cells: set[int] = set()
    for s in seeds:
        disk = h3.grid_disk(s, spread)
        input_cells.update(h3.compact_cells(disk) if spread else disk)
    input_list = sorted(input_cells)
    ranges = cover_ranges(input_list)

    assert ranges.ndim == 2
    assert ranges.shape[1] == 2
    assert (ranges[:, 0] <= ranges[:, 1]).all()
    assert (ranges[1:, 0] > ranges[:-1, 1]).all()  # sorted and disjoint
    for hi, next_lo in zip(ranges[:-1, 1].tolist(), ranges[1:, 0].tolist(), strict=True):
        successor = _next_cell(hi)
        assert successor is not None
        assert successor < next_lo  # merged whenever no cell lies between

    sampler = np.random.default_rng(seed)
    probes: list[int] = []
    for c in input_list:
        # Probe each input cell's own descendants and its neighbours' descendants.
        for n in h3.grid_disk(c, 1):
            size = h3.cell_to_children_size(n, 15)
            probes.extend(
                h3.child_pos_to_cell(n, 15, int(p)) for p in sampler.integers(size, size=3)
            )
    expected = [
        any(h3.cell_to_parent(p, h3.get_resolution(c)) == c for c in input_list) for p in probes
    ]
    assert _in_ranges(ranges, probes) == expected


def test_next_cell_is_the_successor() -> None:
    parent = h3.latlng_to_cell(10.0, 10.0, 10)
    children = sorted(h3.cell_to_children(parent, 12))
    for a, b in itertools.pairwise(children):
        assert _next_cell(a) == b
    last_base = max(h3.get_res0_cells())
    assert _next_cell(descendant_range(last_base, 4)[1]) is None
    first_of_next_base = sorted(h3.get_res0_cells())[1]
    assert (
        _next_cell(descendant_range(sorted(h3.get_res0_cells())[0], 3)[1])
        == (descendant_range(first_of_next_base, 3)[0])
    )
