"""The app's routes, enumerated from `app.routes` (FastAPI's included routers flattened)."""

from dataclasses import dataclass

from fastapi.routing import iter_route_contexts

from app.main import create_app
from app.settings import Settings


@dataclass(frozen=True, order=True)
class RouteKey:
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def all_routes() -> list[RouteKey]:
    app = create_app(Settings(environment="test"), background_sync=False)
    keys = set()
    for context in iter_route_contexts(app.routes):
        for method in getattr(context, "methods", None) or ():
            if method != "HEAD":
                keys.add(RouteKey(method, context.path))
    return sorted(keys)


ROUTES = all_routes()
WRITE_ROUTES = [r for r in ROUTES if r.method in {"POST", "PUT", "PATCH", "DELETE"}]

# Writes anyone may call without a bearer token, and why.
PUBLIC_WRITES = {
    RouteKey("POST", "/api/auth/register"): "sign-up",
    RouteKey("POST", "/api/auth/token"): "OAuth token endpoint (password / client credentials)",
    RouteKey("POST", "/api/auth/refresh"): "the refresh token is the credential",
    RouteKey("POST", "/api/auth/wallet/nonce"): "SIWE step 1, before login",
    RouteKey("POST", "/api/auth/wallet/verify"): "SIWE login (with a token it links instead)",
    # GraphQL over POST is read-only (no mutations): public queries with depth, alias and
    # token limits (tests/gql); its errors follow the GraphQL spec, not the REST body.
    RouteKey("POST", "/graphql"): "read-only GraphQL queries",
}
GRAPHQL = RouteKey("POST", "/graphql")


def fill_path(path: str, value: str) -> str:
    """The path with every `{param}` replaced (ids that exist nowhere)."""
    out, depth = [], 0
    for char in path:
        if char == "{":
            depth += 1
            out.append(value)
        elif char == "}":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)
