"""Webhook signatures: HMAC-SHA256 over "<unix timestamp>.<raw body>" (Stripe's scheme).

Header: `X-CyberSpace-Signature: t=<unix seconds>,v1=<hex digest>`. Receivers recompute the
digest with their secret, compare in constant time, and refuse timestamps older than their
tolerance (replays). The timestamp is inside the MAC, so it cannot be moved.
"""

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-CyberSpace-Signature"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, body: bytes, header: str, *, tolerance_s: int, now: float | None = None
) -> bool:
    """True if `header` is a valid signature of `body` made within `tolerance_s`."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
