"""Redis side of "one decider per conference": the lease, and commands relayed to it.

Keys of conference ``C`` (beside the log's, same hash tag)::

    cr:{C}:lease     "<instance> <token>", with a time to live: who decides ``C`` now
    cr:{C}:fence     the token of the latest lease ever granted (only grows)
    cr:{C}:cmds      stream; commands edges relay to the decider, field "m" (msgpack)
    cr:replies:<instance>   pub/sub channel of the answers meant for that instance

A lease is taken with one script: when nobody holds it, the fence is incremented and
the new token is the holder's; the holder renews it before it expires. The log's
append script compares the writer's token with the fence, so an instance that was
paused (or cut off) while another took the lease can never write again.

Answers travel by pub/sub, which may drop one: an edge asks again with the same
request id after a while, and the decider answers from what the log stored.
"""

from __future__ import annotations

from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from controlroom.store.base import StoreUnavailable
from controlroom.store.pipelined import Pipelined
from controlroom.store.redis_streams import fence_key

_TAKE = """
local held = redis.call('GET', KEYS[1])
if held then
  local owner, token = string.match(held, '^(%S+) (%d+)$')
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, tonumber(token)}
  end
  return {0, owner or ''}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return {1, token}
"""

_RELEASE = """
local held = redis.call('GET', KEYS[1])
if held and string.match(held, '^(%S+) ') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

#: Relayed commands kept in a conference's stream (trimmed approximately).
RELAY_KEEP = 20_000


def lease_key(conference: str) -> str:
    """The key naming the conference's current decider."""
    return f"cr:{{{conference}}}:lease"


def relay_key(conference: str) -> str:
    """The stream of commands relayed to the conference's decider."""
    return f"cr:{{{conference}}}:cmds"


def reply_channel(instance: str) -> str:
    """The pub/sub channel where an instance hears the answers to what it relayed."""
    return f"cr:replies:{instance}"


def _xadd(pipe: Any, key: str, body: bytes) -> None:
    pipe.xadd(key, {"m": body}, maxlen=RELAY_KEEP, approximate=True)


def _publish(pipe: Any, channel: str, body: bytes) -> None:
    pipe.publish(channel, body)


class RedisDecider:
    """Leases, the relay stream and the reply channels, on one Redis connection pool."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: aioredis.Redis | None = None
        self._take: Any = None
        self._release: Any = None
        #: XADDs of relayed commands, and PUBLISHes of answers, pipelined under load.
        self._relays = Pipelined(lambda: self.redis, _xadd, "relay")
        self._replies = Pipelined(lambda: self.redis, _publish, "reply")

    @property
    def redis(self) -> Any:  # redis-py's own annotations are too loose to check against
        if self._redis is None:
            raise StoreUnavailable("the decider's Redis is not open")
        return self._redis

    async def open(self) -> None:
        """Connect and load the scripts."""
        self._redis = aioredis.from_url(
            self.url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=10
        )
        self._take = self._redis.register_script(_TAKE)
        self._release = self._redis.register_script(_RELEASE)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def take(self, conference: str, instance: str, ttl_ms: int) -> tuple[int | None, str]:
        """Take or renew the lease: (our fencing token, "") or (None, the holder)."""
        try:
            won, value = await self._take(
                keys=[lease_key(conference), fence_key(conference)], args=[instance, ttl_ms]
            )
        except RedisError as exc:
            raise StoreUnavailable(f"lease of {conference}: {exc}") from exc
        if won:
            return int(value), ""
        return None, value.decode() if isinstance(value, bytes) else str(value)

    async def release(self, conference: str, instance: str) -> bool:
        """Give the lease up (if it is still ours): the next instance need not wait it out."""
        try:
            return bool(await self._release(keys=[lease_key(conference)], args=[instance]))
        except RedisError:
            return False

    async def relay(self, conference: str, message: dict[str, Any]) -> None:
        """Add a command to the conference's relay stream."""
        await self._relays(relay_key(conference), msgpack.packb(message, use_bin_type=True))

    async def last_relay_id(self, conference: str) -> str:
        """The id of the newest relayed command ("0-0" when none)."""
        try:
            rows = await self.redis.xrevrange(relay_key(conference), count=1)
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return rows[0][0].decode() if rows else "0-0"

    async def relayed(
        self, conference: str, after: str, block_ms: int
    ) -> list[tuple[str, dict[str, Any] | None]]:
        """Relayed commands after stream id ``after``, waiting up to ``block_ms``.

        An entry that does not decode to a map comes as ``(id, None)``, so the reader
        still moves past it.
        """
        try:
            found = await self.redis.xread(
                {relay_key(conference): after}, block=block_ms, count=500
            )
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        out: list[tuple[str, dict[str, Any] | None]] = []
        for _, entries in found:
            for entry_id, fields in entries:
                try:
                    message = msgpack.unpackb(fields[b"m"], raw=False)
                except (KeyError, ValueError, msgpack.ExtraData, msgpack.FormatError):
                    message = None
                out.append((entry_id.decode(), message if isinstance(message, dict) else None))
        return out

    async def reply(self, channel: str, message: dict[str, Any]) -> None:
        """Publish an answer on the reply channel the relaying instance named."""
        await self._replies(channel, msgpack.packb(message, use_bin_type=True))

    def replies(self) -> Any:
        """A pub/sub object to subscribe to this instance's reply channel with."""
        return self.redis.pubsub(ignore_subscribe_messages=True)
