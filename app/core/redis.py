"""The shared asyncio Redis client."""

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

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
        # After a Redis restart every pooled connection is dead and would fail its next
        # command once (a 500 on the first login: the rate limiter). One retry on connection
        # errors only: a command that timed out may have run and must not run twice.
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    return Redis.from_pool(pool)  # owns the pool: aclose() closes its connections
