"""The transition step: previous per-fence state + a classified fix -> enter/exit/dwell.

Pure and in-memory (no I/O): the service loads a player's state rows, runs every accepted fix
of a request through `step`, and writes the difference back; the benchmark runs it alone.

Hysteresis: the engine classifies the fix with an accuracy-aware margin m into fences the
point is inside by more than m ("inside") and fences whose boundary is within m ("border").
A player enters a fence only when surely inside, leaves it only when surely outside (neither
set), and a fix in the border band changes nothing. Jitter smaller than m around an edge
therefore never flaps. Work is proportional to the fences at the point plus the player's
current fences, never to fences the player is outside of.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

TransitionType = Literal["enter", "exit", "dwell"]
ExitReason = Literal["moved", "fence_inactive", "fence_deleted"]


class FenceMeta(Protocol):
    """What the step needs to know about a fence (app.geofences.engine.FenceInfo has it)."""

    @property
    def dwell_seconds(self) -> int | None: ...

    def is_active_at(self, at: float) -> bool: ...


class Classified(Protocol):
    @property
    def inside(self) -> set[uuid.UUID]: ...

    @property
    def border(self) -> set[uuid.UUID]: ...


@dataclass
class Visit:
    """A player is inside a fence: since when, and whether dwell fired for this visit."""

    entered_at: float  # Unix seconds of the fix that entered
    dwell_fired: bool = False


@dataclass(frozen=True)
class Transition:
    type: TransitionType
    fence_id: uuid.UUID
    reason: str | None = None  # exits: ExitReason
    dwell_seconds: float | None = None  # dwell: time inside when it fired


def step(
    visits: dict[uuid.UUID, Visit],
    classified: Classified,
    *,
    t: float,
    fence: Callable[[uuid.UUID], FenceMeta | None],
) -> list[Transition]:
    """Apply one accepted fix at Unix time `t`; mutates `visits`, returns what happened.

    Exits come first (a player moving from one fence straight into its neighbour leaves
    before entering), then enters, then dwells, each in fence-id order so the log is stable.
    """
    out: list[Transition] = []
    inside, border = classified.inside, classified.border
    for fence_id in sorted(visits):
        if fence_id in inside or fence_id in border:
            continue
        meta = fence(fence_id)
        reason: ExitReason = (
            "fence_deleted"
            if meta is None
            else ("fence_inactive" if not meta.is_active_at(t) else "moved")
        )
        del visits[fence_id]
        out.append(Transition("exit", fence_id, reason=reason))
    for fence_id in sorted(inside - visits.keys()):
        visits[fence_id] = Visit(entered_at=t)
        out.append(Transition("enter", fence_id))
    out.extend(dwells(visits, t=t, fence=fence))
    return out


def dwells(
    visits: dict[uuid.UUID, Visit],
    *,
    t: float,
    fence: Callable[[uuid.UUID], FenceMeta | None],
    only: Iterable[uuid.UUID] | None = None,
) -> list[Transition]:
    """Dwell fires once per visit, at the first fix (or sweep) at least the fence's
    threshold after the enter."""
    out: list[Transition] = []
    for fence_id in sorted(visits if only is None else only):
        visit = visits.get(fence_id)
        if visit is None or visit.dwell_fired:
            continue
        meta = fence(fence_id)
        threshold = None if meta is None else meta.dwell_seconds
        if threshold is not None and t - visit.entered_at >= threshold:
            visit.dwell_fired = True
            out.append(Transition("dwell", fence_id, dwell_seconds=t - visit.entered_at))
    return out


def leave_all(
    visits: dict[uuid.UUID, Visit], fence_ids: Iterable[uuid.UUID], reason: ExitReason
) -> list[Transition]:
    """Exits forced by a fence change (deleted or deactivated) rather than by a fix."""
    out = []
    for fence_id in sorted(set(fence_ids)):
        if visits.pop(fence_id, None) is not None:
            out.append(Transition("exit", fence_id, reason=reason))
    return out
