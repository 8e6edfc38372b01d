"""Developer applications: OAuth 2.0 clients that call the API with scoped app tokens."""
