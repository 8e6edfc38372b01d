"""The pruned cover still holds every point of the circle, and is much tighter than the disk."""

from hypothesis import given, settings
from hypothesis import strategies as st

from geo.circle_ranges import circle_ranges
from geo.geodesy import destination
from geo.h3cells import cell_of, circle_cover, cover_ranges

lats = st.floats(min_value=-89.999, max_value=89.999)
lngs = st.floats(min_value=-180.0, max_value=180.0)
radii = st.sampled_from([0.5, 5.0, 60.0, 500.0, 4000.0, 30_000.0])


@settings(deadline=None, max_examples=300)
@given(lats, lngs, radii, st.floats(0, 360), st.floats(0, 1))
def test_every_point_within_the_radius_is_in_a_range(
    lat: float, lng: float, radius: float, bearing: float, fraction: float
) -> None:
    # fraction 1.0 puts the point exactly on the edge of the circle.
    point = destination(lat, lng, bearing, radius * fraction)
    cell = cell_of(point.lat, point.lng)
    ranges = circle_ranges(lat, lng, radius)
    assert ((ranges[:, 0] <= cell) & (cell <= ranges[:, 1])).any()
    assert (ranges[1:, 0] >= ranges[:-1, 0]).all()


def test_pruned_ranges_cover_less_than_the_full_disk() -> None:
    pruned = circle_ranges(48.1371, 11.5754, 500.0)
    full = cover_ranges(circle_cover(48.1371, 11.5754, 500.0))
    pruned_span = sum(int(hi - lo) for lo, hi in pruned)
    full_span = sum(int(hi - lo) for lo, hi in full)
    assert pruned_span < full_span / 3
