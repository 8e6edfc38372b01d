"""Opaque keyset cursors for distance-ordered pages.

A cursor names the last item of a page by (distance, id) and the query it belongs to, so it
cannot be replayed against another query by mistake.
"""

import base64
import binascii
from typing import Any

import orjson

from app.core.errors import InvalidInput
from geo.nearest import After


def encode_cursor(after: After, query: list[Any]) -> str:
    raw = orjson.dumps({"d": after.distance_m, "k": after.key, "q": query})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, query: list[Any]) -> After:
    invalid = InvalidInput(
        "Invalid cursor: pass back the next_cursor of the previous page of the same query",
        details={"field": "cursor"},
    )
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        distance, key, cursor_query = payload["d"], payload["k"], payload["q"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise invalid from exc
    if not isinstance(distance, int | float) or not isinstance(key, str) or cursor_query != query:
        raise invalid
    return After(float(distance), key)
