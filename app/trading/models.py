"""ORM models of trading."""

from app.core.db import Base

__all__ = ["Base"]
