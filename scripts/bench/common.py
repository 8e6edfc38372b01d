"""Shared benchmark plumbing: timing loops, wrk runs, a uvicorn server, result tables.

Benchmarks are not tests: they print figures (and ratios against baselines measured in the
same run) and assert nothing.
"""

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Figure:
    name: str
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    note: str = ""
    # Operations per second of CPU time used by whoever serves them (this process for
    # in-process loops, the server's processes for wrk runs): unlike ops/s, it barely moves
    # when other jobs on the shared box steal cycles.
    cpu_ops_per_s: float = float("nan")


def percentiles_ms(latencies_s: list[float]) -> tuple[float, float]:
    arr = np.asarray(latencies_s) * 1000
    return float(np.percentile(arr, 50)), float(np.percentile(arr, 99))


def time_sync(name: str, fn: Callable[[int], object], *, seconds: float, note: str = "") -> Figure:
    """Call fn(i) back to back for `seconds` on one thread."""
    latencies = []
    i = 0
    cpu_started = time.process_time()
    end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        fn(i)
        t1 = time.perf_counter()
        latencies.append(t1 - t0)
        i += 1
        if t1 > end:
            break
    cpu = time.process_time() - cpu_started
    total = sum(latencies)
    p50, p99 = percentiles_ms(latencies)
    return Figure(name, len(latencies) / total, p50, p99, note, len(latencies) / cpu)


async def time_async(
    name: str,
    fn: Callable[[int], Awaitable[object]],
    *,
    seconds: float,
    concurrency: int,
    note: str = "",
) -> Figure:
    """`concurrency` tasks each awaiting fn(i) back to back for `seconds`."""
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    counter = iter(range(10**12))

    async def worker() -> None:
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            await fn(next(counter))
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    p50, p99 = percentiles_ms(latencies)
    return Figure(name, len(latencies) / elapsed, p50, p99, note)


# Base URL -> process group of the server started by uvicorn_server (for its CPU time).
_SERVER_GROUPS: dict[str, int] = {}


def process_group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of the live processes in a process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        # After the ")" closing the command name: state ppid pgrp ... utime(12) stime(13).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def uvicorn_server(
    factory: str, env: dict[str, str], *, workers: int = 1, extra_args: Sequence[str] = ()
) -> Iterator[str]:
    """Serve `<factory>` with `python -m app.serve` (uvicorn; each worker with a listener of
    its own) on a free loopback port; yields its base URL."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "app.serve", "--app", factory, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), *extra_args,
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    _SERVER_GROUPS[base] = proc.pid  # start_new_session: the pid is the group id
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            time.sleep(0.3)
        else:
            raise RuntimeError("server did not become ready")
        yield base
    finally:
        _SERVER_GROUPS.pop(base, None)
        with contextlib.suppress(ProcessLookupError):  # it may have exited on its own
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


WRK_LUA = """
local points = {POINTS}
local n = #points
local i = 0
request = function()
  i = i + 1
  local p = points[(i % n) + 1]
  return wrk.format("GET", string.format("PATH", p[1], p[2]))
end
"""


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return path


def _wrk_ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(
    name: str,
    url: str,
    *,
    connections: int,
    seconds: int,
    points: list[tuple[float, float]] | None = None,
    path_format: str = "",
    note: str = "",
) -> Figure:
    """wrk on loopback (one thread; the server gets the other core). With `points`, each
    request formats `path_format % (lat, lng)` from the list, round-robin."""
    wrk = ensure_wrk()
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    script = None
    if points:
        body = ",".join(f"{{{lat:.7f},{lng:.7f}}}" for lat, lng in points)
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        script.write(WRK_LUA.replace("POINTS", body).replace("PATH", path_format))
        script.close()
        cmd += ["-s", script.name]
    group = next((g for b, g in _SERVER_GROUPS.items() if url.startswith(b)), None)
    cpu_before = process_group_cpu_s(group) if group else float("nan")
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    cpu = (process_group_cpu_s(group) if group else float("nan")) - cpu_before
    if script:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    # Anchored at line start: "87.99%" in the Stdev column would match a bare "99%".
    p50 = _wrk_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _wrk_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        note = f"{note} NON-2XX: {errors.group(1)}".strip()
    return Figure(name, rps, p50, p99, note, requests / cpu if cpu > 0 else float("nan"))


def median_figure(figures: list[Figure]) -> Figure:
    """Median of each number over repeated runs of the same measurement (the box is shared:
    one run can land on someone else's burst)."""
    first = figures[0]
    notes = sorted({f.note for f in figures if f.note})
    name = first.name if len(figures) == 1 else f"{first.name} [median of {len(figures)}]"
    return Figure(
        name,
        float(np.median([f.ops_per_s for f in figures])),
        float(np.median([f.p50_ms for f in figures])),
        float(np.median([f.p99_ms for f in figures])),
        " ".join(notes),
        float(np.median([f.cpu_ops_per_s for f in figures])),
    )


def print_table(title: str, figures: list[Figure], baseline: Figure | None = None) -> None:
    print(f"\n## {title}")
    with_cpu = any(np.isfinite(f.cpu_ops_per_s) for f in figures)
    head = f"| {'what':<46} | {'ops/s':>10} | {'p50 ms':>8} | {'p99 ms':>8} |"
    if with_cpu:
        head += f" {'ops/CPU-s':>10} |"
    if baseline:
        head += f" {'vs ' + baseline.name[:18]:>22} |"
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for f in figures:
        row = f"| {f.name:<46} | {f.ops_per_s:>10,.0f} | {f.p50_ms:>8.3f} | {f.p99_ms:>8.3f} |"
        if with_cpu:
            row += f" {f.cpu_ops_per_s:>10,.0f} |"
        if baseline:
            row += f" {f.ops_per_s / baseline.ops_per_s:>21.2f}x |"
        if f.note:
            row += f" {f.note}"
        print(row)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
