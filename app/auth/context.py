"""The auth machinery one process shares: token service, password hasher, rate limiter."""

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.passwords import Passwords
from app.auth.rate_limit import RateLimiter
from app.auth.tokens import TokenService
from app.settings import Settings


@dataclass(frozen=True)
class AuthContext:
    settings: Settings
    redis: Redis
    tokens: TokenService
    passwords: Passwords
    limiter: RateLimiter

    @property
    def key_prefix(self) -> str:
        return self.settings.auth_key_prefix


def make_auth_context(
    settings: Settings, *, redis: Redis, session_factory: async_sessionmaker[AsyncSession]
) -> AuthContext:
    return AuthContext(
        settings=settings,
        redis=redis,
        tokens=TokenService(settings=settings, redis=redis, session_factory=session_factory),
        passwords=Passwords(settings),
        limiter=RateLimiter(redis=redis, settings=settings),
    )
