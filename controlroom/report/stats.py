"""Small, exact statistics for the report: medians, nearest-rank percentiles, summaries.

Rules: every function takes plain numbers and returns plain numbers (or ``None`` when
there is nothing to summarise, never NaN, so the JSON stays valid). Percentiles use the
nearest-rank method (the value at rank ``ceil(q/100 * n)`` of the sorted values), so a
reported p90 or p95 is always a value that actually occurred; the median is the middle
value, or the mean of the two middle values for an even count.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any


def median(values: Iterable[float]) -> float | None:
    """The median, or None for no values."""
    data = list(values)
    return float(statistics.median(data)) if data else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) by nearest rank, or None for no values."""
    data = sorted(values)
    if not data:
        return None
    rank = max(1, min(len(data), math.ceil(q / 100 * len(data))))
    return float(data[rank - 1])


def summary(values: Iterable[float]) -> dict[str, Any]:
    """``{count, median, p90, worst}`` of durations in seconds (worst = the largest)."""
    data = sorted(values)
    return {
        "count": len(data),
        "median": median(data),
        "p90": percentile(data, 90),
        "worst": float(data[-1]) if data else None,
    }


def seconds(ms: int | float | None) -> float | None:
    """Milliseconds to seconds (exact to the millisecond), keeping None."""
    return None if ms is None else round(ms / 1000, 3)
