"""The transition step against the real geofence engine: hysteresis, dwell, deletion."""

import uuid

from app.locations.transitions import Visit, dwells, leave_all, step
from geo.plausibility import hysteresis_margin_m, implied_speed_mps
from tests.locations.helpers import engine_with, fence_row, offset, square

# A 200 m square centred at the origin: its east edge is at +100 m.
FENCE = square(0, 0, 100)


def _run(engine, visits, east_m, *, t, accuracy=10.0):  # type: ignore[no-untyped-def]
    lat, lng = offset(east_m, 0)
    margin = hysteresis_margin_m(accuracy, factor=1.0, min_m=5.0, max_m=50.0)
    classified = engine.classify(lat, lng, margin, include=visits.keys(), at=t)
    return step(visits, classified, t=t, fence=engine.get)


def test_enter_and_exit_need_the_margin() -> None:
    row = fence_row(FENCE)
    engine = engine_with(row)
    visits: dict[uuid.UUID, Visit] = {}
    # 95 m east: inside, but only 5 m from the edge (< 10 m margin): no enter yet.
    assert _run(engine, visits, 95, t=1) == []
    assert visits == {}
    # 80 m: 20 m deep, surely inside: enter.
    [enter] = _run(engine, visits, 80, t=2)
    assert (enter.type, enter.fence_id) == ("enter", row.id)
    # 105 m: outside by 5 m (< margin): still inside.
    assert _run(engine, visits, 105, t=3) == []
    assert row.id in visits
    # 120 m: 20 m out: exit.
    [leave] = _run(engine, visits, 120, t=4)
    assert (leave.type, leave.reason) == ("exit", "moved")
    assert visits == {}


def test_jitter_on_a_border_does_not_flap() -> None:
    row = fence_row(FENCE)
    engine = engine_with(row)
    visits: dict[uuid.UUID, Visit] = {}
    events = _run(engine, visits, 50, t=0)
    # GPS jitter of up to 8 m either side of the edge, fixes with 10 m accuracy.
    jitter = [3, -5, 8, -8, 0, 6, -2, 7, -7, 1] * 5
    for i, dx in enumerate(jitter, start=1):
        events += _run(engine, visits, 100 + dx, t=i)
    assert [e.type for e in events] == ["enter"]
    # Same for a player approaching from outside: never enters.
    outside: dict[uuid.UUID, Visit] = {}
    assert _run(engine, outside, 130, t=0) == []
    for i, dx in enumerate(jitter, start=1):
        assert _run(engine, outside, 100 + dx, t=i) == []


def test_dwell_fires_once_per_visit() -> None:
    row = fence_row(FENCE, dwell_seconds=60)
    engine = engine_with(row)
    visits: dict[uuid.UUID, Visit] = {}
    assert [e.type for e in _run(engine, visits, 0, t=1000)] == ["enter"]
    assert _run(engine, visits, 1, t=1030) == []
    [dwell] = _run(engine, visits, 2, t=1061)
    assert dwell.type == "dwell"
    assert dwell.dwell_seconds == 61
    assert _run(engine, visits, 3, t=1200) == []
    # Leave and come back: a new visit, a new dwell.
    assert [e.type for e in _run(engine, visits, 300, t=1300)] == ["exit"]
    assert [e.type for e in _run(engine, visits, 0, t=1400)] == ["enter"]
    assert [e.type for e in _run(engine, visits, 0, t=1460)] == ["dwell"]
    # The sweep form agrees and is idempotent.
    assert dwells(visits, t=9999, fence=engine.get) == []


def test_deleted_and_inactive_fences_exit_with_a_reason() -> None:
    row = fence_row(FENCE)
    engine = engine_with(row)
    visits: dict[uuid.UUID, Visit] = {}
    _run(engine, visits, 0, t=1)
    engine.apply([fence_row(FENCE, fence_id=row.id, version=2, deleted=True)])
    [leave] = _run(engine, visits, 0, t=2)
    assert (leave.type, leave.reason) == ("exit", "fence_deleted")

    from datetime import UTC, datetime

    until = datetime.fromtimestamp(100, tz=UTC)
    timed = fence_row(FENCE, active_until=until)
    engine = engine_with(timed)
    visits = {}
    assert [e.type for e in _run(engine, visits, 0, t=50)] == ["enter"]
    [leave] = _run(engine, visits, 0, t=150)
    assert (leave.type, leave.reason) == ("exit", "fence_inactive")
    assert leave_all({timed.id: Visit(0)}, [timed.id], "fence_deleted")[0].type == "exit"


def test_no_work_for_fences_far_away() -> None:
    near = fence_row(FENCE)
    far = [fence_row(square(5000 + 300 * i, 0, 100)) for i in range(50)]
    engine = engine_with(near, *far)
    visits: dict[uuid.UUID, Visit] = {}
    lat, lng = offset(0, 0)
    classified = engine.classify(lat, lng, 10, include=visits.keys(), at=1)
    assert classified.inside == {near.id}
    assert classified.border == set()


def test_implied_speed_subtracts_accuracy() -> None:
    lat1, lng1 = offset(0, 0)
    lat2, lng2 = offset(1000, 0)
    # 1 km in 10 s with 10 m accuracy each: (1000 - 20) / 10 m/s.
    speed = implied_speed_mps(lat1, lng1, 10, 0, lat2, lng2, 10, 10)
    assert 97 < speed < 99
    assert implied_speed_mps(lat1, lng1, 10, 0, lat1, lng1, 10, 0) == 0
    assert implied_speed_mps(lat1, lng1, 10, 5, lat2, lng2, 10, 5) == float("inf")
    # A 5 km accuracy does not excuse a teleport: accuracy is capped at 100 m each.
    assert implied_speed_mps(lat1, lng1, 5000, 0, lat2, lng2, 5000, 1) > 700
