"""Ping bookkeeping for one session: numbered pings out, round-trip times from pongs."""

from __future__ import annotations


class PingTracker:
    """Remembers when each ping left and turns the matching pong into an RTT (ms)."""

    __slots__ = ("_sent", "_next", "last_pong_at", "missed")

    def __init__(self, now_ms: float) -> None:
        self._sent: dict[int, float] = {}
        self._next = 1
        self.last_pong_at = now_ms
        self.missed = 0

    def ping(self, now_ms: float) -> int:
        """Record a ping leaving now; returns its number. Old unanswered ones count as missed."""
        n = self._next
        self._next += 1
        if len(self._sent) >= 8:  # keep a bounded window; the oldest is lost
            oldest = min(self._sent)
            del self._sent[oldest]
        if self._sent:
            self.missed += 1 if (n - 1) in self._sent else 0
        self._sent[n] = now_ms
        return n

    def pong(self, n: object, now_ms: float) -> float | None:
        """The RTT in ms for pong ``n``, or None for an unknown or repeated number."""
        if not isinstance(n, int):
            return None
        sent = self._sent.pop(n, None)
        if sent is None:
            return None
        # Older pings still outstanding were overtaken: they are lost.
        for older in [k for k in self._sent if k < n]:
            del self._sent[older]
        self.missed = 0
        self.last_pong_at = now_ms
        return max(0.0, now_ms - sent)
