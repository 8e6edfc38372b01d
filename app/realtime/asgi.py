"""Socket.IO beside FastAPI on one port.

`with_socketio(fastapi_app)` answers `/socket.io/` with the Socket.IO server of the app's
realtime component and passes everything else, lifespan included, to FastAPI unchanged —
what `socketio.ASGIApp(sio, other_asgi_app=app)` does when it has no on_startup/on_shutdown.
The Socket.IO server is looked up per request because it belongs to the app's resources,
which exist only once FastAPI's lifespan has started (and `create_app` builds a fresh set
per app, as the tests do).
"""

from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from app.realtime.component import RealtimeComponent

SOCKETIO_PREFIX = "/socket.io"


class SocketIOMount:
    def __init__(self, fastapi_app: FastAPI) -> None:
        self.fastapi_app = fastapi_app

    @property
    def state(self) -> Any:
        return self.fastapi_app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and (
            path == SOCKETIO_PREFIX or path.startswith(SOCKETIO_PREFIX + "/")
        ):
            resources = getattr(self.fastapi_app.state, "resources", None)
            if resources is not None:
                component = resources.component(RealtimeComponent)
                await component.server.asgi(scope, receive, send)
                return
        await self.fastapi_app(scope, receive, send)


def with_socketio(fastapi_app: FastAPI) -> SocketIOMount:
    return SocketIOMount(fastapi_app)


def create_asgi_app() -> SocketIOMount:
    """For `uvicorn --factory app.realtime.asgi:create_asgi_app` (what app.asgi:app is)."""
    from app.main import create_app

    return with_socketio(create_app())
