"""ORM models of challenges."""

from app.core.db import Base

__all__ = ["Base"]
