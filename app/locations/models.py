"""ORM models of locations."""

from app.core.db import Base

__all__ = ["Base"]
