"""Imports every domain's ORM models so metadata is complete (for Alembic and mappers)."""


def load_all_models() -> None:
    from app.apps import models as apps_models  # noqa: F401
    from app.auth import models as auth_models  # noqa: F401
    from app.placements import models as placements_models  # noqa: F401
    from app.users import models as users_models  # noqa: F401
