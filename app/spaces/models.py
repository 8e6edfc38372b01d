"""ORM models of spaces."""

from app.core.db import Base

__all__ = ["Base"]
