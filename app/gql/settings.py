"""Settings of gql; mixed into app.settings.Settings (names are env var names)."""

from pydantic import Field
from pydantic_settings import BaseSettings


class GraphqlSettings(BaseSettings):
    # Query cost limits (strawberry's validation extensions): nesting depth, aliases (one
    # request cannot fan out into hundreds of resolver calls) and tokens (document size).
    graphql_max_depth: int = Field(default=8, ge=2, le=50)
    graphql_max_aliases: int = Field(default=15, ge=1)
    graphql_max_tokens: int = Field(default=2000, ge=100)
    # The GraphiQL page on GET /graphql; off in production unless asked for.
    graphql_ide: bool = True
