"""`/healthz` (the process is up), `/readyz` (its dependencies answer), `/metrics` (Prometheus)."""

import asyncio

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from app.core.errors import error_body
from app.core.responses import FastJSONResponse

router = APIRouter(tags=["operations"])

READINESS_TIMEOUT_S = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check(coro: object) -> str:
    try:
        await asyncio.wait_for(coro, READINESS_TIMEOUT_S)  # type: ignore[arg-type]
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


@router.get("/readyz", responses={503: {"description": "A dependency is down"}})
async def readyz(request: Request) -> FastJSONResponse:
    resources = request.app.state.resources

    async def database() -> None:
        async with resources.session_factory() as session:
            await session.execute(text("SELECT 1"))

    checks = {
        "database": await _check(database()),
        "redis": await _check(resources.redis.ping()),
        "placement_index": "ok" if resources.placement_sync.loaded else "loading",
    }
    if all(v == "ok" for v in checks.values()):
        return FastJSONResponse({"status": "ready", "checks": checks})
    return FastJSONResponse(
        error_body("not_ready", "A dependency is unavailable", {"checks": checks}),
        status_code=503,
    )


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
