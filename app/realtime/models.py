"""ORM models of realtime."""

from app.core.db import Base

__all__ = ["Base"]
