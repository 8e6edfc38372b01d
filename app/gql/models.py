"""ORM models of gql."""

from app.core.db import Base

__all__ = ["Base"]
