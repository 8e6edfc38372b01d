"""ORM models of web."""

from app.core.db import Base

__all__ = ["Base"]
