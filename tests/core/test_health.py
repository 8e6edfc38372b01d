"""Liveness, readiness (with a dependency down) and metrics."""

import json

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.main import create_app
from app.settings import Settings


async def test_healthz_and_readyz(client: AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "placement_index": "ok"},
    }


@pytest.mark.parametrize("broken", ["database", "redis"])
async def test_readyz_is_503_when_a_dependency_is_down(
    test_settings: Settings, broken: str
) -> None:
    # Port 1 on loopback refuses connections: a dependency that is down.
    overrides = (
        {"database_url": "postgresql+psycopg://postgres@127.0.0.1:1/nothing"}
        if broken == "database"
        else {"redis_url": "redis://127.0.0.1:1/0"}
    )
    app = create_app(test_settings.model_copy(update=overrides), background_sync=False)
    async with (
        LifespanManager(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client,
    ):
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    error = ready.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["checks"][broken].startswith("error")
    other = "redis" if broken == "database" else "database"
    assert error["details"]["checks"][other] == "ok"


async def test_metrics_count_requests_by_route(client: AsyncClient) -> None:
    await client.get("/api/nearby", params={"lat": 48.1, "lng": 11.5})
    body = (await client.get("/metrics")).text
    assert 'cyberspace_http_requests_total{method="GET",route="/api/nearby",status="200"}' in body
    assert "cyberspace_http_request_duration_seconds_bucket" in body


async def test_request_id_is_echoed_and_logged(
    test_settings: Settings, capsys: pytest.CaptureFixture[str], app: FastAPI
) -> None:
    logged = create_app(
        test_settings.model_copy(update={"log_level": "INFO"}), background_sync=False
    )
    async with (
        LifespanManager(logged),
        AsyncClient(transport=ASGITransport(app=logged), base_url="http://test") as client,
    ):
        response = await client.get("/healthz", headers={"X-Request-ID": "req-abc-123"})
        generated = await client.get("/healthz")
    assert response.headers["x-request-id"] == "req-abc-123"
    assert len(generated.headers["x-request-id"]) == 32
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    request_lines = [line for line in lines if line.get("message") == "request"]
    assert any(
        line["request_id"] == "req-abc-123"
        and line["route"] == "/healthz"
        and line["status"] == 200
        for line in request_lines
    )


async def test_huge_integers_in_bad_input_are_echoed_not_crashed(client: AsyncClient) -> None:
    # orjson cannot encode ints beyond 64 bits; the error body must still be produced (F1).
    response = await client.get(
        "/api/nearby", params={"lat": 0, "lng": 0, "limit": "99999999999999999999"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
