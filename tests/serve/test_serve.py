"""`python -m app.serve`: every worker accepts on a listener of its own (SO_REUSEPORT), so the
kernel spreads connections over the workers, and a worker uvicorn restarts gets one too."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.serve import parse_args, reuse_port_listener

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pid_of_fresh_connection(base: str) -> int:
    # A new client per request: a new connection (and source port) each time.
    with httpx.Client(base_url=base, timeout=5) as client:
        return int(client.get("/").text)


def listeners_on(port: int) -> int:
    """Listening TCP sockets on this port (from /proc/net/tcp: state 0A is LISTEN)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            count += 1
    return count


def wait_for_pids(base: str, want: int, timeout_s: float = 60) -> Counter[int]:
    deadline = time.monotonic() + timeout_s
    seen: Counter[int] = Counter()
    while time.monotonic() < deadline:
        seen = Counter()
        try:
            for _ in range(60):
                seen[pid_of_fresh_connection(base)] += 1
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        if len(seen) == want:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"expected {want} workers answering, saw {dict(seen)}")


@pytest.fixture
def launcher() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    cmd = [
        sys.executable, "-m", "app.serve", "--app", "tests.serve.pid_app:create",
        "--factory", "--workers", "2", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_connections_are_spread_over_both_workers(
    launcher: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, _ = launcher
    shares = wait_for_pids(base, 2)
    # One listener per worker (uvicorn --workers shares one), and the kernel hashes the 60
    # connections over them: each worker gets a fair part.
    assert listeners_on(int(base.rsplit(":", 1)[1])) == 2
    assert min(shares.values()) >= 12, shares


def test_a_restarted_worker_listens_on_its_own_socket(
    launcher: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, _ = launcher
    before = set(wait_for_pids(base, 2))
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = set(wait_for_pids(base, 2))
        if victim not in now:
            assert len(now - before) == 1
            assert listeners_on(int(base.rsplit(":", 1)[1])) == 2
            return
        time.sleep(0.5)
    raise AssertionError("the killed worker was not replaced")


def test_a_taken_port_fails_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use"):
            reuse_port_listener("127.0.0.1", port)


def test_proxy_headers_are_on_unless_turned_off() -> None:
    # As uvicorn's own default (X-Forwarded-* from FORWARDED_ALLOW_IPS only).
    assert parse_args([]).proxy_headers is True
    assert parse_args(["--no-proxy-headers"]).proxy_headers is False


def test_port_zero_with_several_workers_is_refused() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--workers", "2", "--port", "0"])
    with pytest.raises(SystemExit):
        parse_args(["--workers", "0"])
