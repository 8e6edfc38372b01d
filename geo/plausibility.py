"""Is a new position fix physically plausible after the previous one? Pure functions.

GPS fixes carry an accuracy radius (68% confidence). Two fixes of a player standing still can
be up to both radii apart, so the distance the player provably moved is the geodesic distance
minus both accuracies (capped, so a fix claiming a 5 km radius cannot excuse a teleport).
"""

import math

from geo.geodesy import distance_m

# Accuracy above this is not believed when excusing distance (cell-tower fixes).
DEFAULT_ACCURACY_CAP_M = 100.0


def implied_speed_mps(
    prev_lat: float,
    prev_lng: float,
    prev_accuracy_m: float,
    prev_t: float,
    lat: float,
    lng: float,
    accuracy_m: float,
    t: float,
    *,
    accuracy_cap_m: float = DEFAULT_ACCURACY_CAP_M,
) -> float:
    """Lowest speed (m/s) that explains moving from the previous fix to this one.

    Times are Unix seconds. Zero when the fixes overlap within their accuracy; infinite when
    the player provably moved in no time (or backwards in time).
    """
    slack = min(max(prev_accuracy_m, 0.0), accuracy_cap_m) + min(
        max(accuracy_m, 0.0), accuracy_cap_m
    )
    moved = max(0.0, distance_m(prev_lat, prev_lng, lat, lng) - slack)
    if moved == 0.0:
        return 0.0
    dt = t - prev_t
    return moved / dt if dt > 0 else math.inf


def hysteresis_margin_m(accuracy_m: float, *, factor: float, min_m: float, max_m: float) -> float:
    """Distance a fix must be inside a fence to enter it, and outside to leave it.

    Proportional to the fix's accuracy, so a poor fix needs to be deeper in or further out
    before it changes anything; clamped so a good fix still has some band against jitter and a
    bad one cannot pin a player inside forever.
    """
    return min(max(accuracy_m * factor, min_m), max(max_m, min_m))
