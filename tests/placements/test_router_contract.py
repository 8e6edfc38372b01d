"""The lean `/api/nearby` handler keeps the contract declared parameters gave: the query
parameters in OpenAPI, and FastAPI's validation errors in the standard error body."""

from fastapi import FastAPI
from httpx import AsyncClient


async def test_openapi_documents_the_query_parameters(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/api/nearby"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"lat", "lng", "radius_m", "limit", "kinds", "cursor"}
    assert all(p["in"] == "query" for p in parameters.values())
    assert parameters["lat"]["required"]
    assert parameters["lng"]["required"]
    assert not parameters["radius_m"]["required"]
    assert parameters["lat"]["schema"]["minimum"] == -90
    assert parameters["lng"]["schema"]["maximum"] == 180
    assert "max 50000" in parameters["radius_m"]["description"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "NearbyPageOut"
    )
    assert "422" in operation["responses"]


async def test_validation_errors_name_field_location_and_input(client: AsyncClient) -> None:
    response = await client.get("/api/nearby", params={"lng": 11, "lat": "north"})
    assert response.status_code == 422
    errors = response.json()["error"]["details"]["errors"]
    assert errors == [
        {
            "field": "lat",
            "location": "query",
            "message": "Input should be a valid number, unable to parse string as a number",
            "type": "float_parsing",
            "input": "north",
        }
    ]
    missing = await client.get("/api/nearby", params={"limit": "x"})
    body = missing.json()["error"]
    assert body["message"] == "Invalid request: lat, lng, limit"
    assert [(e["field"], e["type"], e["input"]) for e in body["details"]["errors"]] == [
        ("lat", "missing", None),
        ("lng", "missing", None),
        ("limit", "int_parsing", "x"),
    ]


async def test_unknown_parameters_are_ignored_as_before(client: AsyncClient) -> None:
    response = await client.get("/api/nearby", params={"lat": 48.1, "lng": 11.5, "zoom": 3})
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0, "next_cursor": None}
