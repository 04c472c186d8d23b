"""A pub/sub bridge between hub instances for what is live but not durable.

Every instance publishes on one channel and hears the others (its own messages are
dropped by their ``origin``). Pub/sub is at-most-once: a message lost while Redis
restarts is simply superseded by the next one, which is why only live, repeatedly
refreshed data (link measurements) travels here, never a durable event.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("signaling.bridge")


class RedisBridge:
    """Publish maps to the other instances and hand theirs to ``on_message``."""

    def __init__(
        self, url: str, channel: str, on_message: Callable[[dict[str, Any]], None]
    ) -> None:
        self.url = url
        self.channel = channel
        self.on_message = on_message
        self.origin = secrets.token_hex(6)
        self._redis: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self.received = 0

    async def start(self) -> None:
        """Connect and start listening."""
        self._redis = aioredis.from_url(self.url, socket_connect_timeout=5)
        self._task = asyncio.create_task(self._listen(), name=f"bridge:{self.channel}")

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except BaseException:  # noqa: BLE001 - cancelled on purpose
                pass
        if self._redis is not None:
            await self._redis.aclose()

    async def publish(self, message: dict[str, Any]) -> None:
        """Send to every other instance; silently lost while Redis is away."""
        if self._redis is None:
            return
        payload = msgpack.packb({"origin": self.origin, "body": message}, use_bin_type=True)
        try:
            await self._redis.publish(self.channel, payload)
        except RedisError as exc:
            log.debug("bridge publish lost: %s", exc)

    async def _listen(self) -> None:
        assert self._redis is not None
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for item in pubsub.listen():
                        if item.get("type") != "message":
                            continue
                        self._deliver(item["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: listen again shortly
                log.debug("bridge listen failed: %s", exc)
                await asyncio.sleep(1.0)

    def _deliver(self, data: bytes) -> None:
        try:
            envelope = msgpack.unpackb(data, raw=False)
        except Exception:  # noqa: BLE001 - not ours
            return
        if not isinstance(envelope, dict) or envelope.get("origin") == self.origin:
            return
        body = envelope.get("body")
        if isinstance(body, dict):
            self.received += 1
            try:
                self.on_message(body)
            except Exception:  # noqa: BLE001 - one bad message never stops the bridge
                log.exception("bridge handler failed")
