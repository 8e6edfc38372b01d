"""The geofence engine: `geo.fence_index.FenceIndex` keyed by fence id, plus the metadata
transitions need and in-process change notifications. No I/O; `sync.py` feeds it rows.

Interface documented for other helpers in /work/handoff/geofences.md.
"""

import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely

from app.geofences.metrics import ENGINE_CELLS, ENGINE_FENCES, ENGINE_LOAD_SECONDS, GEOFENCE_CHECKS
from app.geofences.queries import FenceRow
from geo.fence_cover import cells_from_bytes, expand_interior
from geo.fence_index import BORDER, INSIDE, FenceIndex, FenceShape

log = logging.getLogger("cyberspace.geofences.engine")

At = float | datetime | None
ChangeKind = Literal["created", "updated", "deleted"]


def _ts(value: datetime | None, default: float) -> float:
    return default if value is None else value.timestamp()


def _at(at: At) -> float | None:
    return at.timestamp() if isinstance(at, datetime) else at


@dataclass(frozen=True, slots=True)
class FenceInfo:
    id: uuid.UUID
    owner_id: uuid.UUID | None
    name: str
    kind: str
    version: int
    active_from: datetime | None
    active_until: datetime | None
    dwell_seconds: int | None
    tags: tuple[str, ...]

    def is_active_at(self, at: float | datetime) -> bool:
        t = _at(at)
        assert t is not None
        return _ts(self.active_from, -math.inf) <= t < _ts(self.active_until, math.inf)


@dataclass(frozen=True, slots=True)
class FenceChange:
    fence_id: uuid.UUID
    kind: ChangeKind
    version: int
    geometry_changed: bool


@dataclass(frozen=True, slots=True)
class Classification:
    inside: set[uuid.UUID] = field(default_factory=set)
    border: set[uuid.UUID] = field(default_factory=set)


Listener = Callable[[list[FenceChange]], None]


def shapes_from_rows(rows: Sequence[FenceRow]) -> list[FenceShape]:
    """Rows of live fences as index shapes: one vectorised WKB parse, stored covers."""
    geoms = shapely.from_wkb([r.wkb for r in rows])
    shapes: list[FenceShape] = []
    for row, geom in zip(rows, geoms, strict=True):
        shapes.append(
            FenceShape(
                geom=geom,
                res=row.cover_res,
                interior=expand_interior(cells_from_bytes(row.cover_interior), row.cover_res),
                boundary=cells_from_bytes(row.cover_boundary),
                active_from=_ts(row.active_from, -math.inf),
                active_until=_ts(row.active_until, math.inf),
            )
        )
    return shapes


class GeofenceEngine:
    def __init__(self) -> None:
        self.index: FenceIndex[uuid.UUID] = FenceIndex()
        self._infos: dict[uuid.UUID, FenceInfo] = {}
        self._wkb: dict[uuid.UUID, bytes] = {}
        self._listeners: list[Listener] = []
        self.low_xid = 0
        self.loaded = False

    # ---- feeding ----------------------------------------------------------------------------

    def load(self, rows: Sequence[FenceRow]) -> None:
        """Replace everything (at start): `rows` are the live fences."""
        loader = self.loader()
        loader.add(rows)
        loader.finish()

    def loader(self) -> "EngineLoader":
        """A full load fed in chunks (parsed as they come), swapped in by `finish()`."""
        return EngineLoader(self)

    def _install(
        self,
        keys: list[uuid.UUID],
        shapes: list[FenceShape],
        infos: dict[uuid.UUID, FenceInfo],
        started: float,
    ) -> None:
        self.index.load(zip(keys, shapes, strict=True))
        self._infos = infos
        self._wkb = {}
        self.loaded = True
        ENGINE_LOAD_SECONDS.set(time.perf_counter() - started)
        self._gauges()

    def apply(self, rows: Sequence[FenceRow]) -> list[FenceChange]:
        """Apply changed rows (re-reads of unchanged versions are ignored); notifies."""
        changes: list[FenceChange] = []
        upserts: list[FenceRow] = []
        removals: list[uuid.UUID] = []
        for row in rows:
            old = self._infos.get(row.id)
            if row.deleted or row.wkb is None:
                if old is not None:
                    removals.append(row.id)
                    changes.append(FenceChange(row.id, "deleted", row.version, True))
                continue
            if old is not None and old.version == row.version:
                if not self._cover_changed(row):
                    continue
                # Only the stored cover changed (app/geofences/covers.py): not an edit, so no
                # notification; the index takes the new cover.
                upserts.append(row)
                continue
            upserts.append(row)
            geometry_changed = old is None or self._wkb.get(row.id) != row.wkb
            kind: ChangeKind = "created" if old is None else "updated"
            changes.append(FenceChange(row.id, kind, row.version, geometry_changed))
        if removals:
            self.index.remove(removals)
            for fid in removals:
                self._infos.pop(fid, None)
                self._wkb.pop(fid, None)
        if upserts:
            shapes = shapes_from_rows(upserts)
            self.index.upsert(zip((r.id for r in upserts), shapes, strict=True))
            for row in upserts:
                self._infos[row.id] = _info(row)
                # Kept only for fences changed since start: tells edits of shape from others.
                assert row.wkb is not None
                self._wkb[row.id] = row.wkb
        self._gauges()
        if changes:
            self._notify(changes)
        return changes

    def _cover_changed(self, row: FenceRow) -> bool:
        """Whether a re-read row carries another cover than the index holds (the resolution
        and boundary cells settle it: the interior follows from them)."""
        slot = self.index.slot_of(row.id)
        shape = self.index.shape_at(slot) if slot is not None else None
        return shape is None or not (
            shape.res == row.cover_res
            and np.array_equal(shape.boundary, cells_from_bytes(row.cover_boundary))
        )

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(changes)` after every applied change; returns an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self, changes: list[FenceChange]) -> None:
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:
                log.exception("geofence change listener failed")

    def _gauges(self) -> None:
        ENGINE_FENCES.set(len(self.index))
        ENGINE_CELLS.set(self.index.cell_count())

    # ---- reads ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.index)

    def get(self, fence_id: uuid.UUID) -> FenceInfo | None:
        return self._infos.get(fence_id)

    def version_of(self, fence_id: uuid.UUID) -> int | None:
        info = self._infos.get(fence_id)
        return None if info is None else info.version

    def containing(self, lat: float, lng: float, *, at: At = None) -> set[uuid.UUID]:
        GEOFENCE_CHECKS.labels("containing").inc()
        key_of = self.index.key_of
        return {key_of(s) for s in self.index.covering_one(lat, lng, at=_at(at))}

    def containing_batch(
        self,
        lats: Sequence[float] | npt.NDArray[np.float64],
        lngs: Sequence[float] | npt.NDArray[np.float64],
        *,
        at: At = None,
    ) -> list[set[uuid.UUID]]:
        n = len(lats)
        GEOFENCE_CHECKS.labels("containing").inc(n)
        pidx, slots = self.index.covering(lats, lngs, at=_at(at))
        return [set(keys) for keys in self.index.keys_by_point(pidx, slots, n)]

    def containing_batch_csr(
        self,
        lats: Sequence[float] | npt.NDArray[np.float64],
        lngs: Sequence[float] | npt.NDArray[np.float64],
        *,
        at: At = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
        """The same answer as `containing_batch` without building sets (hashing ~18 UUIDs per
        dense point costs more than finding them): point i is covered by the fences whose
        ids are `ids[offsets[i]:offsets[i + 1]]` (no duplicates, in no particular order)."""
        n = len(lats)
        GEOFENCE_CHECKS.labels("containing").inc(n)
        pidx, slots = self.index.covering(lats, lngs, at=_at(at))
        return self.index.keys_csr(pidx, slots, n)

    def classify(
        self,
        lat: float,
        lng: float,
        margin_m: float,
        *,
        include: Iterable[uuid.UUID] = (),
        at: At = None,
    ) -> Classification:
        GEOFENCE_CHECKS.labels("classify").inc()
        out = Classification()
        key_of = self.index.key_of
        for slot, state in self.index.classify_one(lat, lng, margin_m, include, at=_at(at)):
            (out.inside if state == INSIDE else out.border).add(key_of(slot))
        return out

    def classify_batch(
        self,
        lats: Sequence[float] | npt.NDArray[np.float64],
        lngs: Sequence[float] | npt.NDArray[np.float64],
        margins_m: Sequence[float] | npt.NDArray[np.float64],
        includes: Sequence[Iterable[uuid.UUID]] | None = None,
        *,
        at: At = None,
    ) -> list[Classification]:
        n = len(lats)
        GEOFENCE_CHECKS.labels("classify").inc(n)
        pairs = self.index.classify(lats, lngs, margins_m, includes, at=_at(at))
        out = [Classification() for _ in range(n)]
        key_of = self.index.key_of
        for p, s, state in zip(
            pairs.point.tolist(), pairs.slot.tolist(), pairs.state.tolist(), strict=True
        ):
            if state == INSIDE:
                out[p].inside.add(key_of(s))
            elif state == BORDER:
                out[p].border.add(key_of(s))
        return out

    def distance_to_boundary_m(self, fence_id: uuid.UUID, lat: float, lng: float) -> float | None:
        return self.index.signed_distance_m(fence_id, lat, lng)


def _info(row: FenceRow) -> FenceInfo:
    return FenceInfo(
        id=row.id,
        owner_id=row.owner_id,
        name=row.name,
        kind=row.kind,
        version=row.version,
        active_from=row.active_from,
        active_until=row.active_until,
        dwell_seconds=row.dwell_seconds,
        tags=tuple(row.tags or ()),
    )


class EngineLoader:
    def __init__(self, engine: GeofenceEngine) -> None:
        self._engine = engine
        self._started = time.perf_counter()
        self._keys: list[uuid.UUID] = []
        self._shapes: list[FenceShape] = []
        self._infos: dict[uuid.UUID, FenceInfo] = {}

    def add(self, rows: Sequence[FenceRow]) -> None:
        live = [r for r in rows if not r.deleted and r.wkb is not None]
        self._shapes.extend(shapes_from_rows(live))
        self._keys.extend(r.id for r in live)
        self._infos.update((r.id, _info(r)) for r in live)

    def finish(self) -> None:
        self._engine._install(self._keys, self._shapes, self._infos, self._started)
