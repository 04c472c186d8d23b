"""The shared event log: one Redis Stream per conference, for several hub instances.

Keys of conference ``C`` (one hash tag, so a cluster keeps them on one slot)::

    cr:{C}:log        stream; entry id "<seq>-0", field "e" = the record as JSON
    cr:{C}:head       "<seq> <hash>" of the last record
    cr:{C}:answers    hash; "<account> <command id>" -> the stored answer (JSON)
    cr:{C}:snapshot   the latest state snapshot (MessagePack; JSON before)
    cr:{C}:fence      the fencing token of the conference's current decider
                      (see ``redis_decider``)

An append is one Lua script: it checks that the writer's fencing token is still the
current one (a decider that paused while another took its lease is refused with
``Fenced``), that the head is still ``expected_seq``,
then adds the records, the answers and the new head, all or nothing (a script runs
atomically). A writer that lost the race gets ``SeqConflict`` and decides again.

Durability: an append is acknowledged only once Redis has it on disk. With Redis
7.2 or newer the store sends ``WAITAOF 1 0`` after each append; with older servers
(Debian 12 ships 7.0) that takes ``appendonly yes`` and ``appendfsync always`` in
the server's configuration, which ``open`` checks and warns about. Pub/sub is
never the carrier of a durable event: it is at-most-once, so events travel only
through the stream and every instance tails it.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from controlroom.domain.model import Actor, Event
from controlroom.store.base import (
    Answer,
    Fenced,
    SeqConflict,
    Snapshot,
    StoreUnavailable,
    decode_state,
    load_json,
)
from controlroom.store.chain import GENESIS, Record

log = logging.getLogger("controlroom.store")

_APPEND = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[1] then
  return redis.error_reply('FENCED ' .. tostring(redis.call('GET', KEYS[4])))
end
local head = redis.call('GET', KEYS[1])
local current = 0
if head then current = tonumber(string.match(head, '^(%d+)')) end
if current ~= tonumber(ARGV[2]) then
  return redis.error_reply('SEQCONFLICT ' .. current)
end
local n = tonumber(ARGV[4])
if n > 0 and ARGV[5] ~= (current + 1) .. '-0' then
  return redis.error_reply('SEQCONFLICT ' .. current)
end
local i = 5
for _ = 1, n do
  redis.call('XADD', KEYS[2], ARGV[i], 'e', ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
if n > 0 then redis.call('SET', KEYS[1], ARGV[3]) end
return current + n
"""


def _keys(conference: str) -> tuple[str, str, str, str]:
    base = f"cr:{{{conference}}}"
    return f"{base}:head", f"{base}:log", f"{base}:answers", f"{base}:snapshot"


def fence_key(conference: str) -> str:
    """The key holding the fencing token of the conference's current decider."""
    return f"cr:{{{conference}}}:fence"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _encode(rec: Record) -> str:
    e = rec.event
    return _dumps(
        {
            "seq": e.seq,
            "at": e.at,
            "name": e.name,
            "actor": e.actor.to_wire(),
            "data": e.data,
            "prev": rec.prev_hash,
            "hash": rec.hash,
        }
    )


def _decode(raw: bytes | str) -> Record:
    d = load_json(raw)
    event = Event(d["seq"], d["at"], d["name"], Actor.from_wire(d["actor"]), d["data"])
    return Record(event, d["prev"], d["hash"])


class RedisEventLog:
    """EventLog on Redis Streams, shared by every hub instance of a deployment."""

    #: Other writers may append: hubs tail this log and re-decide on conflicts.
    shared = True

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: aioredis.Redis | None = None
        self._append_script: Any = None
        self._waitaof = False
        #: The fencing token each conference's appends carry (set by the decider's
        #: lease); a conference without one appends unfenced.
        self.fences: dict[str, int] = {}

    @property
    def redis(self) -> Any:  # redis-py's own annotations are too loose to check against
        if self._redis is None:
            raise StoreUnavailable("the event log is not open")
        return self._redis

    async def open(self) -> None:
        """Connect, load the append script, check the durability settings."""
        self._redis = aioredis.from_url(
            self.url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=10
        )
        try:
            info = await self._redis.info("server")
            version = tuple(int(x) for x in str(info.get("redis_version", "0.0")).split(".")[:2])
            self._waitaof = version >= (7, 2)
            if not self._waitaof:
                config = await self._redis.config_get("append*")
                if config.get("appendonly") != "yes" or config.get("appendfsync") != "always":
                    log.warning(
                        "Redis %s at %s has appendonly=%s appendfsync=%s: an ack is durable "
                        "only with appendonly yes and appendfsync always (or Redis >= 7.2)",
                        info.get("redis_version"),
                        self.url,
                        config.get("appendonly"),
                        config.get("appendfsync"),
                    )
        except RedisError as exc:
            raise StoreUnavailable(f"cannot reach Redis at {self.url}: {exc}") from exc
        self._append_script = self._redis.register_script(_APPEND)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def head(self, conference: str) -> tuple[int, str]:
        """The last seq and its hash."""
        try:
            raw = await self.redis.get(_keys(conference)[0])
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        if not raw:
            return 0, GENESIS
        seq, digest = raw.decode().split(" ")
        return int(seq), digest

    async def append(
        self, conference: str, expected_seq: int, records: list[Record], answers: list[Answer]
    ) -> None:
        """Append atomically if the head is still ``expected_seq``; durable on return."""
        head_key, log_key, answers_key, _ = _keys(conference)
        fence = self.fences.get(conference)
        args: list[Any] = ["" if fence is None else str(fence), expected_seq, "", len(records)]
        if records:
            last = records[-1]
            args[2] = f"{last.event.seq} {last.hash}"
        for rec in records:
            args += [f"{rec.event.seq}-0", _encode(rec)]
        for answer in answers:
            args += [f"{answer.account} {answer.command_id}", _dumps(answer.answer)]
        try:
            keys = [head_key, log_key, answers_key, fence_key(conference)]
            await self._append_script(keys=keys, args=args)
            if self._waitaof and (records or answers):
                await self.redis.execute_command("WAITAOF", 1, 0, 5000)
        except ResponseError as exc:
            if str(exc).startswith("SEQCONFLICT"):
                raise SeqConflict(str(exc)) from exc
            if str(exc).startswith("FENCED"):
                raise Fenced(f"another instance decides {conference} now ({exc})") from exc
            raise StoreUnavailable(str(exc)) from exc
        except RedisError as exc:
            raise StoreUnavailable(f"Redis write failed: {exc}") from exc

    async def read(self, conference: str, after: int, limit: int | None = None) -> list[Record]:
        """Records with seq > ``after``, in order."""
        try:
            rows = await self.redis.xrange(
                _keys(conference)[1], min=f"({after}-0", max="+", count=limit
            )
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [_decode(fields[b"e"]) for _, fields in rows]

    async def tail(self, conference: str, after: int, block_ms: int) -> list[Record]:
        """Wait up to ``block_ms`` for records after ``after``."""
        try:
            found = await self.redis.xread(
                {_keys(conference)[1]: f"{after}-0"}, block=block_ms, count=1000
            )
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [_decode(fields[b"e"]) for _, entries in found for _, fields in entries]

    async def answer(self, conference: str, account: str, command_id: str) -> dict[str, Any] | None:
        """A stored command answer."""
        try:
            raw = await self.redis.hget(_keys(conference)[2], f"{account} {command_id}")
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return load_json(raw) if raw else None

    async def save_snapshot(self, conference: str, snapshot: Snapshot) -> None:
        """Replace the conference's snapshot."""
        # MessagePack, the state already encoded inside (versions before wrote JSON).
        body = msgpack.packb(
            {"seq": snapshot.seq, "fingerprint": snapshot.fingerprint, "state": snapshot.encoded()},
            use_bin_type=True,
        )
        try:
            await self.redis.set(_keys(conference)[3], body)
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def load_snapshot(self, conference: str) -> Snapshot | None:
        """The latest snapshot."""
        try:
            raw = await self.redis.get(_keys(conference)[3])
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        if not raw:
            return None
        if raw[:1] == b"{":
            d = load_json(raw)
            return Snapshot(d["seq"], d["fingerprint"], d["state"])
        d = msgpack.unpackb(raw, raw=False)
        return Snapshot(d["seq"], d["fingerprint"], decode_state(d["state"]))

    async def shared_secret(self) -> bytes:
        """The token-signing secret every instance uses (created by the first one)."""
        try:
            await self.redis.set("cr:token-secret", secrets.token_bytes(32), nx=True)
            secret = await self.redis.get("cr:token-secret")
        except RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return bytes(secret)

    async def healthy(self) -> bool:
        """True while Redis answers."""
        try:
            return bool(await self.redis.ping())
        except (RedisError, StoreUnavailable):
            return False
