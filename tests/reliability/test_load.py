"""Bounded loopback load (scripts/load/mixed.py): one real uvicorn process serving nearby
readers, players posting location updates over REST, and Socket.IO players sending
`location_update` — zero errors and no memory growth (RSS sampled every 0.5 s after a
warm-up). CI holds it for LOAD_SECONDS (default 15); docs/RELIABILITY.md has the long run."""

import os

import pytest

from scripts.load.mixed import parse, run
from tests.conftest import TEST_REDIS_URL

SECONDS = os.environ.get("LOAD_SECONDS", "15")


@pytest.mark.timeout(900)
async def test_mixed_load_has_no_errors_and_no_memory_growth(process_database: str) -> None:
    load_url = process_database
    args = parse(
        [
            "--database-url", load_url,
            "--redis-url", TEST_REDIS_URL,
            "--duration", SECONDS,
            "--warmup", "3",
            "--readers", "3",
            "--movers", "3",
            "--sockets", "6",
            "--placements", "100",
            "--fences", "5",
        ]
    )  # fmt: skip
    summary = await run(args)
    print(summary)
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["memory_ok"], summary["rss_mib"]
    for kind in ("nearby", "location", "socket_connect", "socket_location"):
        assert summary["requests"].get(kind, 0) > 0, kind
    assert summary["requests"]["socket_connect"] == 6
