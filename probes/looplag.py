"""How late the event loop runs: so that a pause of this process is not read as the network's.

A round-trip time measured here (a ping sent, its answer processed) includes the
time the answer waited for a busy event loop. :class:`LoopLag` runs a task that sleeps
``interval_s`` again and again and records how late each wake-up came; ``worst_ms``
gives the worst lateness over a recent span, including the wake-up that is overdue
right now (an answer may be handled before the timer that would report the pause, as
asyncio runs I/O callbacks before expired timers).

A caller discounts a sample taken across a pause (``worst_ms(span) >= limit``)
instead of judging the network by it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class LoopLag:
    """The event loop's lateness, measured by a ticking task."""

    def __init__(
        self,
        interval_s: float = 0.05,
        keep_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self._ticks: deque[tuple[float, float]] = deque(maxlen=max(16, int(keep_s / interval_s)))
        self._due = clock() + interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start ticking on the running loop."""
        if self._task is None:
            self._due = self.clock() + self.interval_s
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        """Stop ticking."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            self._due = self.clock() + self.interval_s
            await asyncio.sleep(self.interval_s)
            self.tick(self.clock())

    def tick(self, now: float) -> None:
        """Record a wake-up at ``now`` (the ticking task calls it; tests may too)."""
        self._ticks.append((now, max(0.0, (now - self._due) * 1000)))

    def now_ms(self) -> float:
        """How late the loop is right now: how long the next wake-up is overdue."""
        return max(0.0, (self.clock() - self._due) * 1000)

    def worst_ms(self, span_ms: float) -> float:
        """The worst lateness of the last ``span_ms`` (the overdue wake-up included)."""
        since = self.clock() - span_ms / 1000 - self.interval_s
        worst = self.now_ms()
        for at, late in reversed(self._ticks):
            if at < since:
                break
            worst = max(worst, late)
        return worst
