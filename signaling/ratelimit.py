"""A token bucket: ``rate`` tokens a second, at most ``burst`` saved up. Time is passed in."""

from __future__ import annotations

from collections import OrderedDict


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

    def peek(self, now: float, cost: float = 1.0) -> bool:
        """Whether ``cost`` tokens are there now, without taking them."""
        elapsed = max(0.0, now - self._last)
        return min(self.burst, self._tokens + elapsed * self.rate) >= cost


class KeyedBuckets:
    """A token bucket per key (an account, an address), at most ``max_keys`` remembered.

    The least recently used key is forgotten first, so a flood of new keys costs
    bounded memory and only ever makes the limit more lenient for the oldest keys.
    """

    def __init__(self, rate: float, burst: float, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def _bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, now)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return bucket

    def allow(self, key: str, now: float, cost: float = 1.0) -> bool:
        """Take ``cost`` from ``key``'s bucket if it has enough."""
        return self._bucket(key, now).allow(now, cost)

    def peek(self, key: str, now: float, cost: float = 1.0) -> bool:
        """Whether ``key``'s bucket has ``cost`` now, without taking it."""
        bucket = self._buckets.get(key)
        return True if bucket is None else bucket.peek(now, cost)
