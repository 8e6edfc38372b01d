"""Player positions and proximity-alert state, kept in Redis so every process agrees.

* Positions: one Redis GEO set (member = user id) plus a sorted set of when each was seen,
  so `new_nft` finds the players within its radius exactly (GEOSEARCH) whichever process
  consumes the event.
* Alert state: per player, the set of object ids alerted in the current approach. One Lua
  script applies an update atomically: it drops updates older than the last one applied
  (events of one player can be consumed by two processes at once), adds the objects now
  within the alert radius (returning only those newly added: the alerts to send), and
  re-arms the objects that are beyond radius * factor. SADD's answer is what makes an alert
  fire once per approach even when two processes race.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

# KEYS: alerted set, last-timestamp key, GEO set, seen zset. ARGV: ts, ttl, user, lng, lat,
# now, n_inner, inner ids..., truncated, outer ids... Records the position, then returns the
# newly alerted ids, or -1 for an out-of-order update (position and state left alone).
_APPLY = """
local ts = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '-1')
if ts < last then return -1 end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ttl)
redis.call('GEOADD', KEYS[3], ARGV[4], ARGV[5], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[6], ARGV[3])
local n_inner = tonumber(ARGV[7])
local fresh = {}
for i = 8, 7 + n_inner do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then fresh[#fresh + 1] = ARGV[i] end
end
local truncated = ARGV[8 + n_inner] == '1'
if not truncated then
  local outer = {}
  for i = 9 + n_inner, #ARGV do outer[ARGV[i]] = true end
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    if not outer[id] then redis.call('SREM', KEYS[1], id) end
  end
end
redis.call('EXPIRE', KEYS[1], ttl)
return fresh
"""


@dataclass(frozen=True, slots=True)
class ProximityUpdate:
    user_id: str
    lat: float
    lng: float
    timestamp: float
    inner_ids: Sequence[str]  # objects within the alert radius
    outer_ids: Sequence[str]  # objects within radius * factor (the rest re-arm)
    truncated: bool  # the outer list hit its limit: re-arm nothing this time


@dataclass(frozen=True, slots=True)
class NearUser:
    user_id: str
    distance_m: float


class PositionStore:
    def __init__(self, redis: Redis, prefix: str, *, ttl_seconds: int) -> None:
        self._redis = redis
        self._geo = f"{prefix}:rt:geo"
        self._seen = f"{prefix}:rt:seen"
        self._alerted = f"{prefix}:rt:alerted"
        self._ttl = ttl_seconds
        self._apply = redis.register_script(_APPLY)

    async def forget(self, user_id: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrem(self._geo, user_id)
            pipe.zrem(self._seen, user_id)
            await pipe.execute()

    async def users_near(self, lat: float, lng: float, radius_m: float) -> list[NearUser]:
        raw: list[Any] = await self._redis.geosearch(
            self._geo, longitude=lng, latitude=lat, radius=radius_m, unit="m", withdist=True
        )
        if not raw:
            return []
        ids = [m.decode() if isinstance(m, bytes) else str(m) for m, _ in raw]
        seen = await self._redis.zmscore(self._seen, ids)
        horizon = time.time() - self._ttl
        return [
            NearUser(uid, float(dist))
            for uid, (_, dist), at in zip(ids, raw, seen, strict=True)
            if at is not None and at >= horizon
        ]

    async def prune(self) -> int:
        """Drop positions older than the TTL; returns how many."""
        horizon = time.time() - self._ttl
        stale = await self._redis.zrangebyscore(self._seen, "-inf", horizon)
        if stale:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zrem(self._geo, *stale)
                pipe.zrem(self._seen, *stale)
                await pipe.execute()
        return len(stale)

    async def apply_proximity(self, updates: Sequence[ProximityUpdate]) -> list[list[str] | None]:
        """Record each position and return, per update, the ids to alert now (None when the
        update is older than one already applied). One pipelined round trip for the batch:
        EVALSHA directly, since redis-py's script pipelines ask SCRIPT EXISTS first (a
        second round trip every time); the script is loaded only when Redis lacks it."""
        try:
            results = await self._run_apply(updates)
        except NoScriptError:
            # A fresh Redis (restart, flush): nothing ran, so load the script and run again.
            await self._redis.script_load(_APPLY)
            results = await self._run_apply(updates)
        return [
            None
            if result == -1
            else [r.decode() if isinstance(r, bytes) else str(r) for r in result]
            for result in results
        ]

    async def _run_apply(self, updates: Sequence[ProximityUpdate]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for u in updates:
                pipe.evalsha(
                    self._apply.sha,
                    4,
                    f"{self._alerted}:{u.user_id}",
                    f"{self._alerted}:{u.user_id}:ts",
                    self._geo,
                    self._seen,
                    repr(u.timestamp),
                    self._ttl,
                    u.user_id,
                    repr(u.lng),
                    repr(u.lat),
                    repr(time.time()),
                    len(u.inner_ids),
                    *u.inner_ids,
                    "1" if u.truncated else "0",
                    *u.outer_ids,
                )
            results: list[Any] = await pipe.execute()
        return results
