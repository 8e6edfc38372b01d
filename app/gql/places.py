"""Offline reverse geocoding: a coordinate -> "City, Country" (e.g. "Munich, Germany").

`reverse_geocoder` ships GeoNames' cities1000 table (places with >= 1000 inhabitants) and
answers the nearest one with a k-d tree; `pycountry` ships ISO 3166 for the country's English
name. Nothing touches the network. Loading the table takes ~2 s, so it happens once per
process, lazily (or early, from the gql component's background warm-up), in a worker thread.
"""

import asyncio
import threading
from functools import lru_cache
from typing import Any, Protocol

import pycountry

from geo.geodesy import distance_m

# Beyond this distance from the nearest listed place, say "near <place>" rather than
# pretending the point is in it (open sea, deserts, the poles).
NEAR_THRESHOLD_M = 25_000.0


class _Geocoder(Protocol):
    def query(self, coordinates: list[tuple[float, float]]) -> list[dict[str, Any]]: ...


_lock = threading.Lock()
_geocoder: _Geocoder | None = None


def _load() -> _Geocoder:
    global _geocoder
    with _lock:
        if _geocoder is None:
            # Heavy import (and untyped): only when first needed.
            import reverse_geocoder  # type: ignore[import-untyped]

            # mode=1: a single process; the default forks a pool per query batch.
            _geocoder = reverse_geocoder.RGeocoder(mode=1, verbose=False)
        return _geocoder


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """English short name of an ISO 3166 alpha-2 code ("DE" -> "Germany"); the code if unknown."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    # common_name where ISO's name is formal ("Taiwan, Province of China" -> "Taiwan").
    return str(getattr(country, "common_name", None) or country.name)


def place_name(lat: float, lng: float) -> str:
    """Blocking: "City, Country" of the nearest listed place (loads the table on first use)."""
    found = _load().query([(lat, lng)])[0]
    label = f"{found['name']}, {country_name(found['cc'])}"
    if distance_m(lat, lng, float(found["lat"]), float(found["lon"])) > NEAR_THRESHOLD_M:
        return f"near {label}"
    return label


async def place_name_async(lat: float, lng: float) -> str:
    """`place_name` off the event loop (the first call loads the table)."""
    if _geocoder is not None:
        # A loaded k-d tree answers in well under a millisecond: no thread hop needed.
        return place_name(lat, lng)
    return await asyncio.to_thread(place_name, lat, lng)


async def warm_up() -> None:
    await asyncio.to_thread(_load)
