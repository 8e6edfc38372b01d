"""Schema extensions: per-app query cost limits and the error shape.

Limits come from the app's settings at request time (the schema is built once per process,
while tests build apps with their own settings): strawberry's QueryDepthLimiter and
MaxAliasesLimiter validation rules, and graphql-core's parser token limit.

Errors: a domain error (404 unknown NFT, 422 bad coordinates...) becomes a GraphQL error
entry whose `extensions` carry the REST error's `code` and `details`; anything unexpected is
logged and masked as `internal_error`, so no internals leak and the response is never a 500.
"""

import logging
from collections.abc import Iterator
from functools import lru_cache

from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

from app.core.errors import DomainError
from geo.errors import GeoError

log = logging.getLogger("cyberspace.gql")


@lru_cache(maxsize=8)
def _rules(max_depth: int, max_aliases: int) -> tuple[type[ASTValidationRule], ...]:
    return (
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    )


class CostLimits(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        settings = self.execution_context.context.resources.settings
        ctx = self.execution_context
        ctx.validation_rules = ctx.validation_rules + _rules(
            settings.graphql_max_depth, settings.graphql_max_aliases
        )
        ctx.parse_options["max_tokens"] = settings.graphql_max_tokens
        yield


def shape_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None:  # syntax, validation, limits: already a client-facing message
        return error
    if isinstance(original, DomainError | GeoError):
        return GraphQLError(
            original.message,
            nodes=error.nodes,
            path=error.path,
            original_error=original,
            extensions={"code": original.code, "details": original.details},
        )
    return GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "internal_error"},
    )


class ErrorShape(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [shape_error(e) for e in errors]
