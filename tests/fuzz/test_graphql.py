"""Fuzz /graphql: schemathesis builds queries and mutations from the live introspection
result (hypothesis-graphql), sent with a real user's token and anonymously.

Checks: no 5xx and no exception escaping the app; every answer is a GraphQL response
(`data` and/or `errors`) or, for transport-level refusals (401, 413, ...), the standard
error body; no error message leaks a Python traceback."""

import json
import os
import traceback
from typing import Any

import pytest
import schemathesis
from fastapi.routing import iter_route_contexts
from schemathesis.generation.modes import GenerationMode
from schemathesis.graphql.loaders import get_introspection_query

from tests.fuzz.cases import error_shape_problem, generate
from tests.fuzz.conftest import FuzzTarget

EXAMPLES = int(os.environ.get("FUZZ_GRAPHQL_EXAMPLES", os.environ.get("FUZZ_EXAMPLES", "25")))
PATH = "/graphql"


def _mounted(target: FuzzTarget) -> bool:
    # FastAPI nests included routers; iter_route_contexts flattens them.
    return any(context.path == PATH for context in iter_route_contexts(target.app.routes))


def _graphql_problem(status: int, body: Any) -> str | None:
    if status >= 500:
        return f"status {status}"
    if isinstance(body, dict) and ("data" in body or "errors" in body):
        for error in body.get("errors") or []:
            message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
            if "Traceback" in message or 'File "/' in message:
                return f"traceback leaked: {message[:200]}"
        return None
    return error_shape_problem(status, body) or (
        None if status < 400 else f"not a GraphQL response: {str(body)[:200]}"
    )


@pytest.mark.timeout(600)
async def test_graphql_survives_fuzzing(fuzz_target: FuzzTarget) -> None:
    if not _mounted(fuzz_target):
        pytest.skip("no /graphql endpoint in this app yet (helper NFT-B mounts it in app/gql)")
    client = fuzz_target.client
    introspection = await client.post(
        PATH, json={"query": get_introspection_query()}, headers=fuzz_target.headers
    )
    assert introspection.status_code == 200, introspection.text[:300]
    schema = schemathesis.graphql.from_dict(introspection.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the GraphQL schema has no fields"
    problems: list[str] = []
    sent = 0
    for operation in operations:
        cases = generate(operation, GenerationMode.POSITIVE, EXAMPLES)
        cases += generate(operation, GenerationMode.NEGATIVE, max(1, EXAMPLES // 3))
        for number, case in enumerate(cases):
            body = case.body if isinstance(case.body, str) else json.dumps(case.body)
            headers = dict(fuzz_target.headers) if number % 3 != 2 else {}
            sent += 1
            try:
                response = await client.post(PATH, json={"query": body}, headers=headers)
            except Exception as exc:
                tb = "".join(traceback.format_exception(exc)[-2:])
                problems.append(f"{operation.label}: {body[:300]} -> exception {tb}")
                continue
            try:
                payload = response.json()
            except ValueError:
                payload = response.text[:200]
            problem = _graphql_problem(response.status_code, payload)
            if problem:
                problems.append(f"{operation.label}: {body[:300]} -> {problem}")
    assert sent > 0
    print(f"FUZZED graphql: {sent} queries over {len(operations)} fields")
    assert not problems, f"{len(problems)} of {sent} queries failed:\n" + "\n".join(problems[:10])
