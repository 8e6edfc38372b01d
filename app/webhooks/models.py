"""ORM models of webhooks."""

from app.core.db import Base

__all__ = ["Base"]
