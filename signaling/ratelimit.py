"""A token bucket: ``rate`` tokens a second, at most ``burst`` saved up. Time is passed in."""

from __future__ import annotations


class TokenBucket:
    """Allows bursts of ``burst`` then ``rate`` per second; the caller supplies the clock."""

    __slots__ = ("rate", "burst", "_tokens", "_last")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._last = now

    def allow(self, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if there are enough; say whether they were taken."""
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False
