"""Shared resources opened once per process (in the app's lifespan) and closed at shutdown."""

from dataclasses import dataclass, field
from typing import Any, TypeVar

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.context import AuthContext, make_auth_context
from app.core.db import make_engine, make_session_factory
from app.core.redis import make_redis
from app.placements.index import PlacementIndex
from app.placements.service import NearbyLimits
from app.placements.sync import PlacementIndexSync
from app.settings import Settings

ComponentT = TypeVar("ComponentT")


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine | None
    session_factory: async_sessionmaker[AsyncSession]
    redis: Redis
    placement_sync: PlacementIndexSync
    nearby_limits: NearbyLimits
    auth: AuthContext
    # Feature components by class (see app/core/components.py), filled by the lifespan.
    components: dict[type, Any] = field(default_factory=dict)

    def component(self, kind: type[ComponentT]) -> ComponentT:
        found = self.components.get(kind)
        if found is None:
            raise LookupError(f"component {kind.__name__} is not running in this process")
        return found  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        await self.redis.aclose()
        if self.engine is not None:
            await self.engine.dispose()


def open_resources(
    settings: Settings, *, session_factory: async_sessionmaker[AsyncSession] | None = None
) -> Resources:
    """Build resources; tests pass a session factory bound to their own transaction."""
    engine = None
    if session_factory is None:
        engine = make_engine(settings)
        session_factory = make_session_factory(engine)
    redis = make_redis(settings)
    sync = PlacementIndexSync(
        index=PlacementIndex(),
        session_factory=session_factory,
        redis=redis,
        channel=settings.placement_channel,
        poll_seconds=settings.placement_index_poll_seconds,
    )
    return Resources(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        redis=redis,
        placement_sync=sync,
        nearby_limits=NearbyLimits(
            default_radius_m=settings.nearby_default_radius_m,
            max_radius_m=settings.nearby_max_radius_m,
            default_limit=settings.nearby_default_limit,
            max_limit=settings.nearby_max_limit,
        ),
        auth=make_auth_context(settings, redis=redis, session_factory=session_factory),
    )
