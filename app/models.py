"""Imports every domain's ORM models so metadata is complete (for Alembic and mappers)."""


def load_all_models() -> None:
    from app.placements import models as placements_models  # noqa: F401
