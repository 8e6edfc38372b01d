"""The service as benchmarked: the real app plus one empty endpoint as the HTTP baseline.

The empty route goes through the same middleware (request id, metrics, logging) as the real
ones, so the ratio isolates what the endpoint itself costs.
"""

from fastapi import FastAPI

from app.main import create_app


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.get("/bench/empty", include_in_schema=False)
    async def empty() -> dict[str, bool]:
        return {"ok": True}

    return app
