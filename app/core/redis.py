"""The shared asyncio Redis client."""

from redis.asyncio import Redis

from app.settings import Settings


def make_redis(settings: Settings) -> "Redis":
    return Redis.from_url(
        settings.redis_url,
        decode_responses=False,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=15,
    )
