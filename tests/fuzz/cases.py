"""Generating schemathesis cases outside schemathesis's runner.

The app under test runs on the session's event loop with a rolled-back transaction, so the
requests must be sent from async tests with httpx. Hypothesis generates the cases up front
(deterministically: `derandomize`), the test sends them and checks every response.
"""

import contextlib
import os
from typing import Any

import schemathesis
import schemathesis.errors
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import HypothesisException
from schemathesis.generation.modes import GenerationMode

from app.main import create_app
from app.settings import Settings

# Cases per operation and generation mode (schema-conforming and schema-violating). The CI
# default keeps the whole API to about a minute; FUZZ_EXAMPLES=500 is the long run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

ERROR_KEYS = {"code", "message", "details"}


def openapi_spec() -> dict[str, Any]:
    # The schema does not need the lifespan: building the app is enough.
    return create_app(Settings(environment="test"), background_sync=False).openapi()


SCHEMA = schemathesis.openapi.from_dict(openapi_spec())
# /graphql appears in OpenAPI as an opaque POST; tests/fuzz/test_graphql.py fuzzes it with
# real GraphQL documents instead (its errors follow the GraphQL spec, not the REST body).
GRAPHQL_PATHS = {"/graphql"}
OPERATIONS = {
    f"{op.method.upper()} {op.path}": op
    for op in (result.ok() for result in SCHEMA.get_all_operations())
    if op.path not in GRAPHQL_PATHS
}


def generate(operation: Any, mode: GenerationMode, count: int) -> list[Any]:
    cases: list[Any] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Any) -> None:
        cases.append(case)

    # e.g. no way to violate a schema without parameters: nothing negative to send.
    with contextlib.suppress(HypothesisException, schemathesis.errors.SchemathesisError):
        collect()
    return cases


def error_shape_problem(status: int, body: Any) -> str | None:
    """Why an error response is not the standard `{"error": {code, message, details}}`."""
    if status < 400:
        return None
    if not isinstance(body, dict) or set(body) != {"error"}:
        return f"error body is not {{'error': ...}}: {str(body)[:200]}"
    error = body["error"]
    if not isinstance(error, dict) or set(error) != ERROR_KEYS:
        return f"error object keys are not {sorted(ERROR_KEYS)}: {str(error)[:200]}"
    if not isinstance(error["code"], str) or not isinstance(error["message"], str):
        return "error code/message are not strings"
    return None
