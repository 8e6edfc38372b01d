"""The shared asyncio Redis client."""

from redis.asyncio import BlockingConnectionPool, Redis

from app.settings import Settings


def make_redis(settings: Settings) -> "Redis":
    # A blocking pool: a burst (many sockets connecting at once) waits up to `timeout` for a
    # free connection instead of failing with "Too many connections".
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=100,
        timeout=5,
        decode_responses=False,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=15,
    )
    return Redis.from_pool(pool)  # owns the pool: aclose() closes its connections
