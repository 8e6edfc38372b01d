"""Imports every domain's ORM models so metadata is complete (for Alembic and mappers)."""


def load_all_models() -> None:
    from app.apps import models as apps_models  # noqa: F401
    from app.auth import models as auth_models  # noqa: F401
    from app.challenges import models as challenges_models  # noqa: F401
    from app.claims import models as claims_models  # noqa: F401
    from app.core import outbox  # noqa: F401
    from app.geofences import models as geofences_models  # noqa: F401
    from app.gql import models as gql_models  # noqa: F401
    from app.locations import models as locations_models  # noqa: F401
    from app.nfts import models as nfts_models  # noqa: F401
    from app.placements import models as placements_models  # noqa: F401
    from app.portals import models as portals_models  # noqa: F401
    from app.realtime import models as realtime_models  # noqa: F401
    from app.spaces import models as spaces_models  # noqa: F401
    from app.trading import models as trading_models  # noqa: F401
    from app.users import models as users_models  # noqa: F401
    from app.web import models as web_models  # noqa: F401
    from app.webhooks import models as webhooks_models  # noqa: F401
