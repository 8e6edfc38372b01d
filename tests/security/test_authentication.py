"""OWASP API2 (broken authentication): every write route refuses a request without a valid
bearer token with 401 and the standard error body, before it looks at the body. The route
list comes from the app itself, so a new route is covered the moment it exists."""

import uuid

import pytest

from tests.fuzz.conftest import FuzzTarget
from tests.security.routes import GRAPHQL, PUBLIC_WRITES, WRITE_ROUTES, RouteKey, fill_path

PRIVATE_WRITES = [r for r in WRITE_ROUTES if r not in PUBLIC_WRITES]
BAD_TOKENS = {
    "missing": None,
    "garbage": "Bearer not-a-jwt",
    "alg-none": "Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0."
    "eyJzdWIiOiIxIiwia2luZCI6InVzZXIifQ.",
}


def _assert_401(response_status: int, body: object, route: RouteKey) -> None:
    assert response_status == 401, f"{route} answered {response_status} without a valid token"
    assert isinstance(body, dict)
    assert set(body["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("route", PRIVATE_WRITES, ids=str)
@pytest.mark.parametrize("token", list(BAD_TOKENS), ids=str)
async def test_write_route_requires_a_valid_token(
    fuzz_target: FuzzTarget, route: RouteKey, token: str
) -> None:
    client = fuzz_target.client
    headers = {"Authorization": BAD_TOKENS[token]} if BAD_TOKENS[token] else {}
    url = fill_path(route.path, str(uuid.uuid4()))
    response = await client.request(route.method, url, json={}, headers=headers)
    _assert_401(response.status_code, response.json(), route)


@pytest.mark.parametrize("route", sorted(set(PUBLIC_WRITES) - {GRAPHQL}), ids=str)
async def test_public_writes_still_answer_in_the_error_shape(
    fuzz_target: FuzzTarget, route: RouteKey
) -> None:
    client = fuzz_target.client
    response = await client.request(route.method, route.path, json={})
    assert 400 <= response.status_code < 500
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_public_writes_exist() -> None:
    # A renamed auth route must not silently leave this allow-list stale.
    assert set(PUBLIC_WRITES) - {GRAPHQL} <= set(WRITE_ROUTES)
