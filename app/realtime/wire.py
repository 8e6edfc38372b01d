"""How Socket.IO packets are written and read on this server.

python-socketio's default packet checks every outgoing payload for binary attachments (a
recursive walk) and encodes with the standard library's `json`; at thousands of location
updates a second both show up in profiles. This server never sends binary attachments, and
orjson encodes and decodes the same JSON several times faster.
"""

import json
from typing import Any

import orjson
from socketio.packet import Packet


class FastJson:
    """The `json` module's `dumps`/`loads` as python-socketio calls them, on orjson. Input
    orjson refuses (NaN literals from a client, integers past 64 bits) falls back to `json`,
    so a bad payload still reaches the handler's validation and gets an error ack."""

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        try:
            return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            return json.dumps(obj, separators=(",", ":"))

    @staticmethod
    def loads(raw: str | bytes, **_: Any) -> Any:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return json.loads(raw)


class TextPacket(Packet):  # type: ignore[misc]  # python-socketio ships no type hints
    """A Socket.IO packet that is always text: no binary-attachment scan on send. Binary
    packets from clients are still decoded (decoding does not depend on this flag)."""

    uses_binary_events = False
    json = FastJson
