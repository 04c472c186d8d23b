"""The ring of link samples kept per site: an hour of them in a few columns of numbers.

Samples are not events: they feed sparklines (``GET .../sites/{code}/link``) and the
live view, so they live in memory, in fixed-size typed arrays (about 21 bytes a
sample, allocated once per site), and the oldest is overwritten when the ring is full.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

STATE_CODES = {"unknown": 0, "online": 1, "degraded": 2, "offline": 3}
STATE_NAMES = {v: k for k, v in STATE_CODES.items()}


class SampleRing:
    """A fixed-size columnar ring of samples (about 21 bytes a sample)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.at = array("q", [0]) * capacity
        self.rtt = array("f", [math.nan]) * capacity
        self.jitter = array("f", [math.nan]) * capacity
        self.loss = array("f", [math.nan]) * capacity
        self.state = array("b", [0]) * capacity
        self.count = 0

    def add(
        self, at: int, rtt: float | None, jitter: float | None, loss: float | None, state: str
    ) -> None:
        """Append one sample, overwriting the oldest when full."""
        i = self.count % self.capacity
        self.at[i] = at
        self.rtt[i] = math.nan if rtt is None else rtt
        self.jitter[i] = math.nan if jitter is None else jitter
        self.loss[i] = math.nan if loss is None else loss
        self.state[i] = STATE_CODES.get(state, 0)
        self.count += 1

    def since(self, since_ms: int) -> list[dict[str, Any]]:
        """Samples with ``at >= since_ms``, oldest first."""
        n = min(self.count, self.capacity)
        start = self.count - n
        out = []
        for k in range(start, self.count):
            i = k % self.capacity
            if self.at[i] < since_ms:
                continue
            out.append(
                {
                    "at": self.at[i],
                    "rtt_ms": _num(self.rtt[i]),
                    "jitter_ms": _num(self.jitter[i]),
                    "loss_pct": _num(self.loss[i]),
                    "state": STATE_NAMES[self.state[i]],
                }
            )
        return out


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 1)
