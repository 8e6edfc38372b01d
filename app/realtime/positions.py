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

import orjson
from redis.asyncio import Redis
from redis.exceptions import NoScriptError

# KEYS: GEO set, seen zset, then per update its alerted set and last-timestamp key.
# ARGV: ttl, now, and the updates as one JSON array of [ts, user, lng, lat, inner ids,
# truncated, outer ids] (numbers as strings, so nothing is rounded on the way: Lua would
# print a double with 14 digits). One call for a whole batch: packing one JSON argument
# costs the caller far less than packing every id of a pipeline of calls. Per update, in
# order: records the position, then answers the newly alerted ids, or -1 for an
# out-of-order update (position and state left alone).
_APPLY = """
local ttl = tonumber(ARGV[1])
local now = ARGV[2]
local out = {}
for n, u in ipairs(cjson.decode(ARGV[3])) do
  local alerted, stamp = KEYS[1 + 2 * n], KEYS[2 + 2 * n]
  local ts = tonumber(u[1])
  local last = tonumber(redis.call('GET', stamp) or '-1')
  if ts < last then
    out[n] = -1
  else
    redis.call('SET', stamp, u[1], 'EX', ttl)
    redis.call('GEOADD', KEYS[1], u[3], u[4], u[2])
    redis.call('ZADD', KEYS[2], now, u[2])
    local fresh = {}
    for _, id in ipairs(u[5]) do
      if redis.call('SADD', alerted, id) == 1 then fresh[#fresh + 1] = id end
    end
    if not u[6] then
      local outer = {}
      for _, id in ipairs(u[7]) do outer[id] = true end
      for _, id in ipairs(redis.call('SMEMBERS', alerted)) do
        if not outer[id] then redis.call('SREM', alerted, id) end
      end
    end
    redis.call('EXPIRE', alerted, ttl)
    out[n] = fresh
  end
end
return out
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
        update is older than one already applied). One script call for the batch: EVALSHA
        directly (redis-py's `Script` asks SCRIPT EXISTS first, a second round trip every
        time); the script is loaded only when Redis lacks it."""
        if not updates:
            return []
        keys: list[str] = [self._geo, self._seen]
        for u in updates:
            keys += (f"{self._alerted}:{u.user_id}", f"{self._alerted}:{u.user_id}:ts")
        batch = orjson.dumps(
            [
                [
                    repr(u.timestamp),
                    u.user_id,
                    repr(u.lng),
                    repr(u.lat),
                    list(u.inner_ids),
                    u.truncated,
                    list(u.outer_ids),
                ]
                for u in updates
            ]
        )
        now = repr(time.time())
        try:
            results = await self._run_apply(keys, now, batch)
        except NoScriptError:
            # A fresh Redis (restart, flush): nothing ran, so load the script and run again.
            await self._redis.script_load(_APPLY)
            results = await self._run_apply(keys, now, batch)
        return [
            None
            if result == -1
            else [r.decode() if isinstance(r, bytes) else str(r) for r in result]
            for result in results
        ]

    async def _run_apply(self, keys: list[str], now: str, batch: bytes) -> list[Any]:
        results: list[Any] = await self._redis.evalsha(
            self._apply.sha, len(keys), *keys, self._ttl, now, batch
        )
        return results
