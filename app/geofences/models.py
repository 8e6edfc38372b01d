"""ORM models of geofences."""

from app.core.db import Base

__all__ = ["Base"]
