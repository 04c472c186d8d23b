"""Ping bookkeeping for one session: numbered pings out, round-trip times from pongs."""

from __future__ import annotations

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
