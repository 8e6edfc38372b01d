"""Caps request bodies (OWASP API4: unrestricted resource consumption).

Raw ASGI so a too-large body is refused before any of it is parsed: a declared
Content-Length over the cap is answered 413 at once; a chunked body is counted as it
arrives, cut off when it passes the cap, and answered 413 whatever the app made of it.
"""

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import error_body


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        too_large = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # End the body here; whatever the app answers to the cut-off body is
                    # replaced by the 413 below (frameworks turn a raised error into a 400).
                    too_large = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal refused
            if too_large:
                if not refused:
                    refused = True
                    await self._refuse(send)
                return
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps(
            error_body(
                "payload_too_large",
                f"Request body is larger than {self.max_bytes} bytes",
                {"max_bytes": self.max_bytes},
            )
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
