"""Pings: the bookkeeping of one session (numbered pings out, RTTs from pongs), and
the one timer that pings every session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("signaling")

WINDOW = 8


class PingTracker:
    """Remembers when each ping left and turns the matching pong into an RTT (ms).

    ``lost`` counts pings that will never be answered: overtaken by the answer to a
    later ping, or pushed out of the window of ``WINDOW`` outstanding pings.
    """

    __slots__ = ("_sent", "_next", "last_pong_at", "lost")

    def __init__(self, now_ms: float) -> None:
        self._sent: dict[int, float] = {}
        self._next = 1
        self.last_pong_at = now_ms
        self.lost = 0

    def ping(self, now_ms: float) -> int:
        """Record a ping leaving now; returns its number."""
        n = self._next
        self._next += 1
        if len(self._sent) >= WINDOW:
            del self._sent[min(self._sent)]
            self.lost += 1
        self._sent[n] = now_ms
        return n

    def pong(self, n: object, now_ms: float) -> float | None:
        """The RTT in ms for pong ``n``, or None for an unknown or repeated number."""
        if not isinstance(n, int) or isinstance(n, bool):
            return None
        sent = self._sent.pop(n, None)
        if sent is None:
            return None
        overtaken = [k for k in self._sent if k < n]
        for k in overtaken:
            del self._sent[k]
        self.lost += len(overtaken)
        self.last_pong_at = now_ms
        return max(0.0, now_ms - sent)


class PingWheel:
    """One timer for the pings of every session, instead of a task each.

    A heartbeat is cut into ``slots`` ticks. A session joins the slot that fired
    last, so its first ping comes about one heartbeat after it opened (as a timer
    of its own would) and sessions are spread over the heartbeat by the time they
    opened. The timer runs only while there are sessions, and keeps to its schedule
    (the next tick is due one interval after the previous one was, not after it ran).
    """

    def __init__(self, heartbeat_s: float, ping: Callable[[Any], None], slots: int = 20) -> None:
        self.interval = heartbeat_s / slots
        self._ping = ping
        self._slots: list[dict[Any, None]] = [{} for _ in range(slots)]
        self._where: dict[Any, int] = {}
        self._next_slot = 0
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self.loop = asyncio.get_running_loop()

    def __len__(self) -> int:
        return len(self._where)

    def add(self, member: Any) -> None:
        """Ping ``member`` once per heartbeat from now on."""
        slot = (self._next_slot - 1) % len(self._slots)
        self._slots[slot][member] = None
        self._where[member] = slot
        if self._handle is None:
            # Idle until now: restart the wheel so that this slot fires a heartbeat on.
            self._next_slot = (slot + 1) % len(self._slots)
            self._due = self.loop.time() + self.interval
            self._handle = self.loop.call_at(self._due, self._tick)

    def remove(self, member: Any) -> None:
        """Stop pinging ``member`` (it may never have been added)."""
        slot = self._where.pop(member, None)
        if slot is not None:
            self._slots[slot].pop(member, None)

    def _tick(self) -> None:
        slot = self._slots[self._next_slot]
        self._next_slot = (self._next_slot + 1) % len(self._slots)
        for member in list(slot):
            try:
                self._ping(member)
            except Exception:  # noqa: BLE001 - one session's failure never stops the clock
                log.exception("ping of %r failed", member)
        if not self._where:
            self._handle = None
            return
        now = self.loop.time()
        self._due += self.interval
        if self._due < now - self.interval:  # the loop was held up: do not fire a burst
            self._due = now
        self._handle = self.loop.call_at(self._due, self._tick)

    def stop(self) -> None:
        """Cancel the timer (the sessions are not told)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
