"""ORM models of portals."""

from app.core.db import Base

__all__ = ["Base"]
