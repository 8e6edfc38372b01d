"""What the accounts service tells the real-time side after a commit.

A disabled account must lose its live sockets too, on every process: REST already refuses its
tokens (every request loads the user), but a socket authenticated before the change would
otherwise keep chatting in its spaces. The internal event `_user_disabled` says whose sockets
to close; app/realtime/evictions.py closes them, and its periodic re-check of all sockets
catches an event that did not arrive.
"""

import uuid

from app.core.events import RealtimeEvent

USER_DISABLED = "_user_disabled"


def user_disabled(user_id: uuid.UUID) -> RealtimeEvent:
    return RealtimeEvent(type=USER_DISABLED, data={"user_id": str(user_id)})
