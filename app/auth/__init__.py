"""Authentication and authorization: tokens, device sessions, SIWE, rate limits, permissions."""
