"""One error table: domain errors raised by services, mapped to HTTP status codes and one body.

Every error the API returns has the shape `{"error": {"code", "message", "details"}}`,
validation errors and unknown routes included.
"""

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.responses import FastJSONResponse
from geo.errors import GeoError


class DomainError(Exception):
    """Base for errors a service raises on purpose; `status` is the HTTP status it maps to."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    @property
    def headers(self) -> dict[str, str] | None:
        """Response headers the error carries (e.g. WWW-Authenticate, Retry-After)."""
        return None


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"

    @property
    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


async def _domain_error(_: Request, exc: Exception) -> FastJSONResponse:
    assert isinstance(exc, DomainError)
    return FastJSONResponse(
        error_body(exc.code, exc.message, _jsonable(exc.details)),
        status_code=exc.status,
        headers=exc.headers,
    )


async def _geo_error(_: Request, exc: Exception) -> FastJSONResponse:
    assert isinstance(exc, GeoError)
    return FastJSONResponse(
        error_body(exc.code, exc.message, _jsonable(exc.details)), status_code=422
    )


def _jsonable(value: Any) -> Any:
    # Validation contexts can hold exceptions or NaN; keep the body valid JSON.
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return str(value)  # beyond what orjson encodes: echo it as text
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


async def _validation_error(_: Request, exc: Exception) -> FastJSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body")),
            "location": err.get("loc", ("",))[0],
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
            "input": _jsonable(err.get("input")),
        }
        for err in exc.errors()
    ]
    fields = ", ".join(e["field"] or e["location"] for e in errors)
    return FastJSONResponse(
        error_body("invalid_input", f"Invalid request: {fields}", {"errors": errors}),
        status_code=422,
    )


async def _http_error(_: Request, exc: Exception) -> FastJSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return FastJSONResponse(
        error_body(code, str(exc.detail)),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _database_unavailable(_: Request, exc: Exception) -> FastJSONResponse:
    # Lost or refused database connections are an outage, not a bug: tell clients to retry
    # (the pool reconnects on its own once PostgreSQL is back).
    return FastJSONResponse(
        error_body("unavailable", "The database is unavailable; retry shortly"),
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def _unexpected_error(_: Request, exc: Exception) -> FastJSONResponse:
    # A 5xx is a bug; the body keeps the standard shape and leaks nothing internal.
    return FastJSONResponse(
        error_body("internal_error", "Internal server error", {"type": type(exc).__name__}),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(GeoError, _geo_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
