"""HTTP routes of gql: POST /graphql (and GET with the GraphiQL page)."""

from typing import Any

from cross_web import HTTPException as StrawberryHTTPException
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter

from app.core.errors import DomainError, NotFound
from app.gql.context import GqlContext, get_context
from app.gql.schema import schema

_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    415: "unsupported_media_type",
}


class GraphqlHttpError(DomainError):
    """A request strawberry refuses before executing (bad JSON, GET mutation, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = _CODES.get(status, "bad_request")


class _Router(GraphQLRouter[GqlContext, None]):
    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        # GraphiQL only where the settings allow it (GRAPHQL_IDE); 404 otherwise.
        if not request.app.state.resources.settings.graphql_ide:
            raise NotFound("Not found")
        return await super().render_graphql_ide(request)

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        # strawberry answers these with a plain-text body; every API error has our shape.
        try:
            return await super().run(*args, **kwargs)
        except StrawberryHTTPException as exc:
            raise GraphqlHttpError(exc.status_code, exc.reason) from exc


router = APIRouter()
router.include_router(
    _Router(schema, context_getter=get_context), prefix="/graphql", tags=["graphql"]
)
