"""Abuse limits in Redis: fixed-window counters and an escalating, bounded login lockout.

Lockout policy (the issue asks that an attacker cannot lock a victim out forever):
- Failures are counted per (account, client IP). After `login_failures_before_lockout`
  failures that pair is locked for `lockout_base_seconds`, doubling with each repeat up to
  `lockout_max_seconds`. The victim's own IP is never locked by someone else's failures.
- Attempts on one account from IPs that never logged in to it are also capped across all
  IPs (`auth_account_limit` per window), against botnet guessing; IPs that logged in to the
  account in the last `known_ip_days` are exempt, so the owner keeps getting in.
- A refresh token or a wallet signature does not go through the password lockout at all.
"""

import hashlib

from redis.asyncio import Redis

from app.auth.errors import RateLimited
from app.settings import Settings


def _part(value: str) -> str:
    # Hash user input before it becomes part of a key: bounded length, no odd bytes.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class RateLimiter:
    def __init__(self, *, redis: Redis, settings: Settings) -> None:
        self._redis = redis
        self._s = settings
        self._prefix = f"{settings.auth_key_prefix}:rl"

    async def hit(self, key: str, *, limit: int, window_seconds: int, message: str) -> None:
        """Count one request in the key's window; raise RateLimited past `limit`."""
        full = f"{self._prefix}:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(full, 0, ex=window_seconds, nx=True)
            pipe.incr(full)
            pipe.ttl(full)
            _, count, ttl = await pipe.execute()
        if count > limit:
            raise RateLimited(message, retry_after=ttl if ttl > 0 else window_seconds)

    async def hit_ip(self, scope: str, ip: str) -> None:
        await self.hit(
            f"ip:{scope}:{_part(ip)}",
            limit=self._s.auth_ip_limit,
            window_seconds=self._s.auth_ip_window_seconds,
            message="Too many requests from this address; slow down",
        )

    async def check_login_allowed(self, account: str, ip: str) -> None:
        """Raise RateLimited if this IP is locked out of the account, or is an unknown IP
        over the account's cross-IP budget."""
        acct, addr = _part(account.lower()), _part(ip)
        locked_for = await self._redis.ttl(f"{self._prefix}:lock:{acct}:{addr}")
        if locked_for > 0:
            raise RateLimited(
                "Too many failed logins for this account from this address; try again later",
                retry_after=locked_for,
            )
        if not await self._redis.sismember(f"{self._prefix}:known:{acct}", addr):
            await self.hit(
                f"acct:{acct}",
                limit=self._s.auth_account_limit,
                window_seconds=self._s.auth_account_window_seconds,
                message="Too many login attempts for this account; try again later",
            )

    async def record_failure(self, account: str, ip: str) -> None:
        acct, addr = _part(account.lower()), _part(ip)
        failures_key = f"{self._prefix}:fail:{acct}:{addr}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(failures_key)
            pipe.expire(failures_key, self._s.login_failure_window_seconds, nx=True)
            failures, _ = await pipe.execute()
        if failures < self._s.login_failures_before_lockout:
            return
        level_key = f"{self._prefix}:level:{acct}:{addr}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(level_key)
            # Escalation is forgotten after a quiet day, so it cannot ratchet forever either.
            pipe.expire(level_key, 86400)
            pipe.delete(failures_key)
            level, _, _ = await pipe.execute()
        seconds = min(self._s.lockout_base_seconds * 2 ** (level - 1), self._s.lockout_max_seconds)
        await self._redis.set(f"{self._prefix}:lock:{acct}:{addr}", 1, ex=int(seconds))

    async def record_success(self, account: str, ip: str) -> None:
        acct, addr = _part(account.lower()), _part(ip)
        known_key = f"{self._prefix}:known:{acct}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{self._prefix}:fail:{acct}:{addr}", f"{self._prefix}:level:{acct}:{addr}")
            pipe.sadd(known_key, addr)
            pipe.expire(known_key, self._s.known_ip_days * 86400)
            await pipe.execute()
