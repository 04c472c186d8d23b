"""Keeps the cyclic collector's full passes off the live path.

Why: a hub holding thousands of sessions keeps millions of long-lived objects.
CPython's full (generation 2) pass visits every one of them; at 5,000 sites it
was measured at 550–630 ms, a stall of the whole event loop every few seconds
under load (`docs/benchmarks.md`, "GC pauses"): every fault, ack and ping of that
moment waits. ``gc.freeze()`` moves what is alive now out of the collector's
sight, so the automatic passes only visit what survived since.

The price: a reference cycle that dies after it was frozen is not reclaimed until
the collector sees it again. Every ``full_every_s`` the pacer therefore unfreezes
and does one full pass itself, at a known rhythm (that pause is on the loop lag,
so link samples across it are discounted, not judged). Objects freed by reference
counting (nearly all) are freed at once, frozen or not.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("controlroom")


class GcPacer:
    """Freezes survivors every ``freeze_every_s`` (often enough that a ramp of thousands of
    sessions never builds a large generation 2); one full pass every ``full_every_s``."""

    def __init__(
        self,
        freeze_every_s: float = 2.0,
        full_every_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        collector: Any = gc,
    ) -> None:
        self.freeze_every_s = freeze_every_s
        self.full_every_s = full_every_s
        self.clock = clock
        self.gc = collector
        self._last_full = clock()
        self.full_passes = 0
        #: How long the last full pass held the loop (ms).
        self.last_full_ms = 0.0
        self._task: asyncio.Task[None] | None = None

    def step(self) -> None:
        """Freeze what survived since the last step; or, when due, the full pass."""
        now = self.clock()
        if now - self._last_full >= self.full_every_s:
            started = time.perf_counter()
            self.gc.unfreeze()
            self.gc.collect()
            self.gc.freeze()
            self.last_full_ms = (time.perf_counter() - started) * 1000
            self._last_full = now
            self.full_passes += 1
            log.info("full GC pass: %.0f ms", self.last_full_ms)
            return
        self.gc.collect(1)  # the young garbage goes first: it is not worth keeping
        self.gc.freeze()

    def start(self) -> None:
        """Start pacing on the running loop (after the start-up objects are loaded)."""
        if self._task is None:
            self.gc.collect()
            self.gc.freeze()
            self._last_full = self.clock()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="gc-pacer")

    async def stop(self) -> None:
        """Stop pacing."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.freeze_every_s)
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a pacing failure is never the hub's end
                log.exception("GC pacing failed")
