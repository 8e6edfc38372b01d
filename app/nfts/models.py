"""ORM models of nfts."""

from app.core.db import Base

__all__ = ["Base"]
