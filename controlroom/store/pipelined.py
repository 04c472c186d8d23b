"""Redis writes that arrive while one round trip is out go together in the next one.

At a few hundred commands a second an edge relays each command with an ``XADD`` and
the decider publishes each answer: one round trip each, and each its own wake-up
and parse on both ends. Here the first call writes at once; calls made while it is
out wait and go as one pipeline (not a transaction: each write stands alone, in
order) when it returns. Nobody waits for a timer, and under load the round trips
are as few as the bursts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from controlroom.store.base import StoreUnavailable


class Pipelined:
    """Batches ``write(pipe, *args)`` calls into pipelines on ``redis``."""

    def __init__(self, redis: Callable[[], Any], write: Callable[..., None], what: str) -> None:
        self._redis = redis
        self._write = write
        self._what = what
        self._waiting: list[tuple[tuple[Any, ...], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        #: Round trips made, and calls they carried (for the benchmark).
        self.round_trips = 0
        self.calls = 0

    async def __call__(self, *args: Any) -> None:
        """Write, together with whatever else is waiting; raises ``StoreUnavailable``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((args, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            error: Exception | None = None
            try:
                pipe = self._redis().pipeline(transaction=False)
                for args, _ in batch:
                    self._write(pipe, *args)
                results = await pipe.execute(raise_on_error=False)
                failed = next((r for r in results if isinstance(r, Exception)), None)
                if failed is not None:
                    error = StoreUnavailable(f"{self._what}: {failed}")
            except (RedisError, OSError, StoreUnavailable) as exc:
                error = StoreUnavailable(f"{self._what}: {exc}")
            self.round_trips += 1
            self.calls += len(batch)
            for _, future in batch:
                if future.done():  # its caller gave up waiting
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)
