"""Loss and jitter of a stream of probe results over a sliding window.

Jitter is RFC 3550's interarrival jitter (section 6.4.1) applied to round trips:
``J += (|D| - J) / 16`` where ``D`` is the change of RTT between two consecutive
answered probes. Loss is the share of the last ``size`` probes that got no answer.
"""

from __future__ import annotations

from collections import deque


class ProbeWindow:
    """The last ``size`` results of one target."""

    __slots__ = ("_results", "_lost", "jitter_ms", "rtt_ms", "last_answer")

    def __init__(self, size: int = 50) -> None:
        self._results: deque[bool] = deque(maxlen=size)
        self._lost = 0
        self.jitter_ms: float | None = None
        self.rtt_ms: float | None = None
        #: How many results ago the last answer came (0: the latest was answered).
        self.last_answer: int | None = None

    def add(self, rtt_ms: float | None) -> None:
        """One probe's result: its RTT in ms, or ``None`` when it got no answer."""
        results = self._results
        if len(results) == results.maxlen and not results[0]:
            self._lost -= 1
        answered = rtt_ms is not None
        results.append(answered)
        if not answered:
            self._lost += 1
            self.last_answer = None if self.last_answer is None else self.last_answer + 1
            return
        assert rtt_ms is not None
        if self.rtt_ms is not None:
            change = abs(rtt_ms - self.rtt_ms)
            self.jitter_ms = (
                change
                if self.jitter_ms is None
                else (self.jitter_ms + (change - self.jitter_ms) / 16)
            )
        self.rtt_ms = rtt_ms
        self.last_answer = 0

    @property
    def loss_pct(self) -> float | None:
        """The share of lost probes in the window, in %, or ``None`` before any."""
        if not self._results:
            return None
        return 100.0 * self._lost / len(self._results)

    def missed_in_a_row(self) -> int:
        """How many of the latest probes in a row got no answer."""
        count = 0
        for answered in reversed(self._results):
            if answered:
                break
            count += 1
        return count

    def clear(self) -> None:
        """Forget the window (the outage is on record; it is not loss of what came back)."""
        self._results.clear()
        self._lost = 0
        self.jitter_ms = None
        self.last_answer = None
