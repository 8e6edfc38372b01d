"""Errors raised by the geometry package.

Each error carries a stable machine-readable `code` and JSON-safe `details`, so the API layer can
turn any of them into a 422 response without knowing which check failed.
"""


class GeoError(ValueError):
    """Base class: `code` is stable across releases, `message` is for humans."""

    code: str = "geo_error"

    def __init__(self, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details) if details else {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, {self.details!r})"


class InvalidCoordinate(GeoError):
    """A latitude or longitude is not a finite number in range; `details["field"]` names it."""

    code = "invalid_coordinate"


class InvalidGeometry(GeoError):
    """A shape is unusable; `details["reason"]` says why and, where known, where."""

    code = "invalid_geometry"
