"""Waits for a seq to be durable here: an edge waits for the events of a command the
decider acknowledged, in seq order, however many wait."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class SeqWaiters:
    """Futures keyed by the seq they wait for, woken in seq order as records apply."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, asyncio.Future[None]]] = []
        self._ids = itertools.count()  # ties: never compare two futures

    async def wait(self, seq: int, timeout_s: float) -> bool:
        """Wait until :meth:`reached` passes ``seq``; False after ``timeout_s``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (seq, next(self._ids), future))
        try:
            await asyncio.wait_for(future, timeout_s)
            return True
        except TimeoutError:
            return False

    def reached(self, seq: int) -> None:
        """The record at ``seq`` is applied: wake everyone waiting for it or before."""
        heap = self._heap
        while heap and heap[0][0] <= seq:
            future = heapq.heappop(heap)[2]
            if not future.done():
                future.set_result(None)
