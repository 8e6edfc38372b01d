"""Authentication errors. OAuth 2.0 failures keep RFC 6749's error codes as the `code`
of the project's one error body (not RFC 6749's flat `{"error": "..."}`): one error shape
across the API beats two."""

from collections.abc import Mapping
from typing import Any

from app.core.errors import DomainError, Forbidden, TooManyRequests, Unauthorized


class InvalidToken(Unauthorized):
    code = "invalid_token"


class InvalidGrant(DomainError):
    status = 400
    code = "invalid_grant"


class InvalidClient(Unauthorized):
    code = "invalid_client"


class UnsupportedGrantType(DomainError):
    status = 400
    code = "unsupported_grant_type"


class InvalidScope(DomainError):
    status = 400
    code = "invalid_scope"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"


class WalletAuthFailed(Unauthorized):
    code = "wallet_auth_failed"


class RateLimited(TooManyRequests):
    """429 with `Retry-After` (RFC 6585)."""

    def __init__(
        self, message: str, *, retry_after: int, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message, details={**(details or {}), "retry_after": retry_after})
        self.retry_after = max(1, retry_after)

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)}
