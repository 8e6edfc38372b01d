"""The app factory: `create_app(settings)` wires routers, middleware, errors and resources."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.apps.router import router as apps_router
from app.auth.router import router as auth_router
from app.auth.router import wellknown_router
from app.core.body_limit import BodyLimitMiddleware
from app.core.components import Component
from app.core.errors import install_error_handlers
from app.core.heap import settle_after_start
from app.core.logging import configure_logging
from app.core.loop_lag import watch_loop_lag
from app.core.observability import RequestContextMiddleware
from app.core.outbox import relay_forever
from app.features import COMPONENT_BUILDERS, ROUTERS
from app.health.router import router as health_router
from app.placements.router import router as placements_router
from app.resources import open_resources
from app.settings import Settings, get_settings
from app.users.router import router as users_router

log = logging.getLogger("cyberspace")


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    background_sync: bool = True,
) -> FastAPI:
    """Build the ASGI app.

    Tests pass a `session_factory` bound to a rolled-back transaction and switch off
    `background_sync` (it would share that one connection with the requests).
    """
    settings = settings or get_settings()
    configure_logging(settings.log_level, json=settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = open_resources(settings, session_factory=session_factory)
        app.state.resources = resources
        try:
            await resources.placement_sync.refresh()
            log.info(
                "placement index loaded", extra={"placements": len(resources.placement_sync.index)}
            )
        except Exception:
            # Start anyway: /readyz says 503 until the follower below manages to load it.
            log.warning("placement index not loaded at start; will retry", exc_info=True)
        tasks: list[asyncio.Task[None]] = []
        if background_sync:
            tasks.append(asyncio.create_task(watch_loop_lag(0.05), name="loop-lag"))
            tasks.append(asyncio.create_task(resources.placement_sync.run(), name="placement-sync"))
            relay = relay_forever(
                redis=resources.redis,
                prefix=settings.redis_channel_prefix,
                session_factory=resources.session_factory,
                every=settings.outbox_relay_seconds,
            )
            tasks.append(asyncio.create_task(relay, name="outbox-relay"))
        started: list[Component] = []
        try:
            for build in COMPONENT_BUILDERS:
                component = build(resources)
                resources.components[type(component)] = component
                await component.start()
                started.append(component)
                if background_sync:
                    tasks.extend(asyncio.create_task(job) for job in component.background())
            if settings.gc_gen0_threshold:
                settle_after_start(settings.gc_gen0_threshold)
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for component in reversed(started):
                try:
                    await component.aclose()
                except Exception:
                    log.exception("component %s failed to close", type(component).__name__)
            await resources.aclose()

    app = FastAPI(
        title="CyberSpace API",
        version="0.1.0",
        description="Location-based service: NFT geocaching, geofences, anchored spaces, "
        "live proximity alerts.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    # Added last, so it runs first: even a refused body gets a request id and a log line.
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(placements_router)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(apps_router)
    app.include_router(wellknown_router)
    for router in ROUTERS:
        app.include_router(router)
    return app
