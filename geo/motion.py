"""Proof-of-presence math: is a reported position close enough, and is a move believable?

Pure functions over plain numbers (degrees, metres, seconds); distances are WGS84 geodesics.

Accuracy-aware distance
    A phone reports a position with an accuracy radius (the 68% circle of iOS/Android). A player
    standing on the spot with a 15 m fix can be reported 15 m away, so a claim counts as "within
    the radius" when the fix's uncertainty circle reaches the claim circle:
        distance - accuracy <= radius.
    The slack a cheater gains by inflating `accuracy` is capped because callers refuse fixes
    worse than a maximum accepted accuracy before asking (see `within_radius`).

Implied speed (teleport check)
    Between two fixes the player must have moved at least `distance - acc1 - acc2` metres
    (both fixes may be off towards each other), so the lower bound on their average speed is
        max(0, distance - acc1 - acc2) / max(elapsed, min_interval).
    Using the lower bound means GPS jitter never looks like a teleport; `min_interval` keeps
    two fixes in the same second from dividing by zero (and from turning a 1 m step into a
    "speed" of kilometres per second).
"""

import math
from dataclasses import dataclass

from geo.geodesy import distance_m

DEFAULT_MIN_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True)
class Fix:
    """A reported position: where, how sure (metres, >= 0) and when (seconds, any epoch)."""

    lat: float
    lng: float
    accuracy_m: float
    at_s: float


@dataclass(frozen=True, slots=True)
class RadiusCheck:
    distance_m: float
    # How far the uncertainty circle's nearest edge is from the target (0 when it reaches).
    shortfall_m: float

    @property
    def within(self) -> bool:
        return self.shortfall_m == 0.0


@dataclass(frozen=True, slots=True)
class MoveCheck:
    distance_m: float
    elapsed_s: float
    # Lower bound on the average speed between the two fixes (m/s).
    speed_mps: float
    max_speed_mps: float

    @property
    def plausible(self) -> bool:
        return self.speed_mps <= self.max_speed_mps


def _non_negative(value: float, name: str) -> float:
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


def within_radius(
    lat: float,
    lng: float,
    accuracy_m: float,
    *,
    target_lat: float,
    target_lng: float,
    radius_m: float,
) -> RadiusCheck:
    """Does the fix (lat, lng, accuracy_m) reach the circle of `radius_m` around the target?"""
    _non_negative(accuracy_m, "accuracy_m")
    _non_negative(radius_m, "radius_m")
    dist = distance_m(lat, lng, target_lat, target_lng)
    return RadiusCheck(distance_m=dist, shortfall_m=max(0.0, dist - accuracy_m - radius_m))


def implied_speed(
    earlier: Fix,
    later: Fix,
    *,
    max_speed_mps: float,
    min_interval_s: float = DEFAULT_MIN_INTERVAL_S,
) -> MoveCheck:
    """The slowest average speed that explains moving from `earlier` to `later`.

    A `later` fix that is in fact older than `earlier` (clock skew between sources) is judged
    as if it came `min_interval_s` after it: the move must then be (nearly) no move.
    """
    _non_negative(earlier.accuracy_m, "accuracy_m")
    _non_negative(later.accuracy_m, "accuracy_m")
    _non_negative(max_speed_mps, "max_speed_mps")
    if not math.isfinite(min_interval_s) or min_interval_s <= 0.0:
        raise ValueError("min_interval_s must be > 0")
    dist = distance_m(earlier.lat, earlier.lng, later.lat, later.lng)
    elapsed = later.at_s - earlier.at_s
    moved_at_least = max(0.0, dist - earlier.accuracy_m - later.accuracy_m)
    speed = moved_at_least / max(elapsed, min_interval_s)
    return MoveCheck(
        distance_m=dist, elapsed_s=elapsed, speed_mps=speed, max_speed_mps=max_speed_mps
    )
