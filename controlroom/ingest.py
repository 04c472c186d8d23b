"""``POST /api/conferences/{C}/bridge/samples``: what a conference bridge sees of each site.

For bridges and monitoring scripts that are not built in (a Pexip event sink, Cisco
Meeting Server, a script polling a Polycom RMX): per-site samples of the bridge's own
view of the site's participant, with a token of an account of role ``bridge``::

    {"samples": [{"site": "HUE", "in_call": true,
                  "rx": {"loss_pct": 0.4, "jitter_ms": 12, "rtt_ms": 38, "bitrate_kbps": 1850},
                  "tx": {"loss_pct": 0.0, "jitter_ms": 6, "rtt_ms": 38, "bitrate_kbps": 2010}}]}

``rx`` is site→bridge as the bridge receives it, ``tx`` bridge→site; both optional,
every figure optional. The first sample of a site makes the bridge the source its
link follows (docs/protocol.md, "Link sources"). Everything is checked before any
sample is taken: one bad field refuses the whole body (422 with the field), so a
half-applied report never happens. Answer: ``{"accepted": N, "unknown_sites": [...]}``.
"""

from __future__ import annotations

from typing import Any

from signaling.values import finite_number

MAX_SAMPLES = 10_000
#: A body of 10,000 samples with both directions is about 1.5 MB.
MAX_BODY_BYTES = 2 << 20
FIGURES = {"loss_pct": 100.0, "jitter_ms": 1e6, "rtt_ms": 1e6, "bitrate_kbps": 1e9}
SAMPLE_KEYS = {"site", "in_call", "rx", "tx"}


class BadSamples(ValueError):
    """The body does not hold valid samples; ``field`` names the first bad one."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def parse_samples(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The checked samples of a body, or :class:`BadSamples`."""
    samples = body.get("samples")
    if not isinstance(samples, list):
        raise BadSamples("samples must be a list", "samples")
    if len(samples) > MAX_SAMPLES:
        raise BadSamples(f"at most {MAX_SAMPLES} samples a request", "samples")
    return [_sample(s, f"samples.{i}") for i, s in enumerate(samples)]


def _sample(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadSamples("a sample must be a map", where)
    extra = set(raw) - SAMPLE_KEYS
    if extra:
        raise BadSamples(f"unknown key {sorted(extra)[0]!r}", f"{where}.{sorted(extra)[0]}")
    site = raw.get("site")
    if not isinstance(site, str) or not 0 < len(site) <= 16:
        raise BadSamples("site must be a site code", f"{where}.site")
    in_call = raw.get("in_call")
    if not isinstance(in_call, bool):
        raise BadSamples("in_call must be true or false", f"{where}.in_call")
    out: dict[str, Any] = {"site": site.strip().upper(), "in_call": in_call}
    for direction in ("rx", "tx"):
        if direction in raw:
            out[direction] = _figures(raw[direction], f"{where}.{direction}")
    return out


def _figures(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise BadSamples("a direction must be a map of figures", where)
    out: dict[str, float] = {}
    for key, value in raw.items():
        limit = FIGURES.get(key)
        if limit is None:
            raise BadSamples(f"unknown figure {key!r}", f"{where}.{key}")
        if value is None:
            continue
        number = finite_number(value, 0, limit) if not isinstance(value, bool) else None
        if number is None:
            raise BadSamples(f"{key} must be a number from 0 to {limit:g}", f"{where}.{key}")
        out[key] = number
    return out
