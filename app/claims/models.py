"""ORM models of claims."""

from app.core.db import Base

__all__ = ["Base"]
