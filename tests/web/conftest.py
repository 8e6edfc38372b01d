"""Browser tests: a real uvicorn server (random port, its own committed database) and
Debian's headless Chromium driven by Playwright, with every non-local request blocked.

The server runs `uvicorn app.asgi:app` in a subprocess, like `make run`, against
`<TEST_DATABASE_URL>_web`, which is recreated, migrated and seeded with the demo (the same
seed as `make run`) once for this package; server and browser stop when the package is
done. Tests here never use the rolled-back per-test connection: the server must see
committed rows.
"""

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from alembic import command
from playwright.async_api import Browser, BrowserContext, Page, Request, async_playwright
from sqlalchemy.engine import make_url

from app.settings import Settings
from scripts import seed_demo
from tests.conftest import (
    ROOT,
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    alembic_config,
    recreate_database,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(ROOT) / "test-artifacts" / "web"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
ORGANIZER = "DemoOrganizer"
PLAYER = "PlayerOne"


def web_database_url() -> str:
    u = make_url(TEST_DATABASE_URL)
    return u.set(database=f"{u.database}_web").render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="package")
def web_settings() -> Settings:
    """The live server's settings (also passed to it as environment variables)."""
    return Settings(
        environment="development",
        database_url=web_database_url(),
        redis_url=TEST_REDIS_URL,
        redis_channel_prefix=f"cyberspace-web-{uuid.uuid4().hex[:8]}",
        log_level="WARNING",
        placement_index_poll_seconds=0.5,
        # A tile server that does not answer: the pages must fall back to the offline grid,
        # and nothing may be fetched from outside (the browser blocks and records it).
        web_tile_url="http://127.0.0.1:9/{z}/{x}/{y}.png",
    )


def server_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ENVIRONMENT": settings.environment,
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url,
            "REDIS_CHANNEL_PREFIX": settings.redis_channel_prefix,
            "LOG_LEVEL": settings.log_level,
            "LOG_JSON": "false",
            "PLACEMENT_INDEX_POLL_SECONDS": str(settings.placement_index_poll_seconds),
            "WEB_TILE_URL": settings.web_tile_url,
            "DB_POOL_SIZE": "5",
        }
    )
    return env


@pytest.fixture(scope="package")
def web_database(web_settings: Settings) -> str:
    recreate_database(web_settings.database_url)
    command.upgrade(alembic_config(web_settings.database_url), "head")
    return web_settings.database_url


async def seed(settings: Settings) -> None:
    """The demo, as `make run` seeds it (accounts, placements, every feature's demo rows)."""
    await seed_demo.seed(settings)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def live_server(web_settings: Settings, web_database: str) -> AsyncIterator[LiveServer]:
    await seed(web_settings)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, polled below
            [
                *(sys.executable, "-m", "uvicorn", "app.asgi:app"),
                *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
            ],
            cwd=ROOT,
            env=server_env(web_settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", settings=web_settings, log_path=log_path)
    try:
        await wait_ready(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_ready(server: LiveServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90  # app start includes the chain and every component
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{server.log_tail()}")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)
    pytest.fail(f"server not ready in time:\n{server.log_tail()}")


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} missing: run scripts/setup.d/40-web.sh (apt install chromium)")
    async with async_playwright() as pw:
        # Root in a container has no user namespaces for Chromium's sandbox.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        b = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield b
        await b.close()


@dataclass
class Offsite:
    """What a page tried to load from outside this machine (must stay empty)."""

    blocked: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class BrowserPage:
    page: Page
    context: BrowserContext
    offsite: Offsite
    server: LiveServer

    async def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path


def artifact_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)


@pytest_asyncio.fixture(loop_scope="session")
async def web_page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserPage]:
    """A fresh browser context (no shared storage) whose non-local requests are refused and
    recorded, as are CSP violations and uncaught page errors."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800},
        base_url=live_server.url,
        geolocation={"latitude": 48.1371, "longitude": 11.5754},
        permissions=["geolocation"],
    )
    offsite = Offsite()

    async def guard(route: "object", req: Request) -> None:
        if is_local(req.url):
            await route.continue_()  # type: ignore[attr-defined]
        else:
            offsite.blocked.append(req.url)
            await route.abort("blockedbyclient")  # type: ignore[attr-defined]

    await context.route("**/*", guard)
    page = await context.new_page()
    page.on(
        "console",
        lambda msg: (
            offsite.csp_violations.append(msg.text)
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: offsite.page_errors.append(str(exc)))
    page.set_default_timeout(30_000)  # 2 shared cores in CI
    wrapped = BrowserPage(page=page, context=context, offsite=offsite, server=live_server)
    yield wrapped
    try:
        await wrapped.screenshot(f"{artifact_name(request)}-final")
    finally:
        await context.close()


@pytest.fixture
def api_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest_asyncio.fixture(loop_scope="session")
async def api(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=15) as client:
        yield client


async def token_for(api: httpx.AsyncClient, username: str, password: str) -> str:
    response = await api.post(
        "/api/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def demo_password(settings: Settings, username: str) -> str:
    return {name: pw for name, pw, _ in seed_demo.demo_credentials(settings)}[username]


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


@dataclass
class Player:
    username: str
    password: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def new_player(api: httpx.AsyncClient) -> Player:
    """A fresh account per test, so location histories (teleport checks) never mix."""
    username = f"web_{uuid.uuid4().hex[:10]}"
    password = "a long browser-test passphrase"
    response = await api.post(
        "/api/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": password},
    )
    assert response.status_code == 201, response.text
    return Player(username, password, await token_for(api, username, password))


async def require_routes(api: httpx.AsyncClient, *paths: str) -> None:
    """Skip, naming what is missing, when another feature's endpoint is not built yet."""
    spec = (await api.get("/openapi.json")).json()
    missing = [p for p in paths if p not in spec["paths"]]
    if missing:
        pytest.skip(f"endpoints not in this build yet: {', '.join(missing)}")
