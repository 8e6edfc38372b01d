"""A minimal ASGI app for the launcher's tests: answers every request with its process id."""

import os
from typing import Any


async def pid_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = str(os.getpid()).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"connection", b"close")]}
    )
    await send({"type": "http.response.body", "body": body})


def create() -> Any:
    return pid_app
