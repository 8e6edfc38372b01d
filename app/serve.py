"""Several service processes on one host, each accepting its own connections.

    python -m app.serve --workers 2 --host 0.0.0.0 --port 8000

`uvicorn --workers N` binds one listening socket in the parent and every worker inherits it:
they all wait on one accept queue, and the kernel hands a new connection to whichever wakes
first. Short HTTP requests even that out; long-lived Socket.IO connections do not. In
`scripts/bench/realtime.py` a burst of 2,000 connections split 62/38 between two workers,
and the busier one set the latency tail for everybody. Here each worker binds its own
listener with SO_REUSEPORT on the same address, and the kernel spreads new connections over
the listeners by a hash of the client's address and port (Linux). uvicorn's supervisor still
starts, health-checks, restarts and stops the workers.

With one worker this is plain uvicorn. Across hosts, a load balancer does this job.
"""

import argparse
import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

DEFAULT_APP = "app.asgi:app"


def reuse_port_listener(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) with SO_REUSEPORT, not yet listening (uvicorn's
    `create_server(sock=...)` listens)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class OwnListener:
    """Stands in for the socket uvicorn's supervisor hands each worker it starts (restarts
    included): unpickled in the worker it becomes a listener of that worker's own. Workers
    are spawned, so their arguments always cross by pickle."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return reuse_port_listener, (self.host, self.port)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.serve", description=__doc__.split("\n")[0])
    parser.add_argument("--app", default=DEFAULT_APP, help="ASGI app as module:attribute")
    parser.add_argument("--factory", action="store_true", help="--app names a factory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    # As uvicorn: X-Forwarded-* trusted from FORWARDED_ALLOW_IPS only (default 127.0.0.1).
    parser.add_argument("--proxy-headers", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--ws", default="auto", help="uvicorn's websocket implementation")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.port == 0 and args.workers > 1:
        parser.error("--port 0 would give every worker a different port")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = uvicorn.Config(
        args.app,
        factory=args.factory,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=args.proxy_headers,
        access_log=False,
        # Per-message deflate costs ~35 KiB per socket and CPU per frame; the payloads are
        # small JSON (see docs/PERFORMANCE.md).
        ws=args.ws,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=20,
        log_level=args.log_level,
    )
    if args.workers == 1:
        uvicorn.Server(config).run()
        return
    # Fail here, once, if the address is taken, rather than in every worker.
    reuse_port_listener(args.host, args.port).close()
    Multiprocess(config, sockets=[OwnListener(args.host, args.port)]).run()  # type: ignore[list-item]


if __name__ == "__main__":
    main()
