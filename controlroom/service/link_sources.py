"""The conference-path sources of a site's link: the endpoint's probes and the bridge.

A site's link has up to three sources, judged separately by the same pure state
machine (``domain/links.py``: hysteresis, flapping) and shown together:

- ``bridge``: what the conference bridge reports of the site's participant (in the
  call or not, per-direction loss, jitter, RTT, bitrate), pushed to the ingest route;
- ``endpoint``: the hub's own probes of the room's endpoint (``sites.csv``
  ``endpoint``), one per heartbeat, loss and RFC 3550 jitter over the last 50;
- ``console``: the technician's session (pings and ``stats``), as in version 1.

The site's recorded link (``link.changed``, the fault it opens) follows the best
configured source, in that order. The console session is then *presence* only: a
technician whose phone locks is ``away``, not an outage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controlroom.domain.links import LinkHealth, Sample, Transition, left_call, observe
from controlroom.domain.model import Thresholds
from controlroom.service.link_ring import SampleRing
from probes.window import ProbeWindow

#: Best first: the site's link follows the first one configured.
SOURCES = ("bridge", "endpoint", "console")
DIRECTIONS = ("rx", "tx")  # site→bridge as the bridge receives it, bridge→site


@dataclass
class SourceLink:
    """One conference-path source of one site (not durable: rebuilt from live samples)."""

    name: str  # "bridge" | "endpoint"
    health: LinkHealth
    last_heard: int
    target: str = ""
    window: ProbeWindow = field(default_factory=ProbeWindow)
    ring: SampleRing | None = None
    rtt_ms: float | None = None
    jitter_ms: float | None = None
    loss_pct: float | None = None
    #: What else the source says (the bridge: in_call and the two directions).
    detail: dict[str, Any] = field(default_factory=dict)
    #: How often the source reports, smoothed (ms; the bridge posts at its own pace).
    interval_ms: float = 0.0

    def silent_after_s(self, heartbeat_s: float) -> float:
        """The heartbeat to judge silence by: the hub's, or 1.5 x the source's own pace.

        Two of them without a word is offline: two heartbeats for the probes, and
        for a bridge that posts every 5 s, 15 s rather than a false alarm at 4 s.
        """
        if self.name == "endpoint":
            return heartbeat_s
        # Until a second report shows the bridge's pace, assume a slow one (5 s).
        interval_ms = self.interval_ms or 5000.0
        return max(heartbeat_s, 1.5 * interval_ms / 1000)

    def entry(self) -> dict[str, Any]:
        """This source's part of a site's ``links`` entry and snapshot link."""
        out = {
            "state": self.health.state,
            "rtt_ms": _round(self.rtt_ms),
            "jitter_ms": _round(self.jitter_ms),
            "loss_pct": _round(self.loss_pct),
            "flapping": self.health.flapping,
        }
        if self.target:
            out["target"] = self.target
        out.update(self.detail)
        return out

    def record(self, at: int, capacity: int) -> None:
        """Keep the figures in this source's ring (its history in the site detail)."""
        if self.ring is None:
            self.ring = SampleRing(capacity)
        self.ring.add(at, self.rtt_ms, self.jitter_ms, self.loss_pct, self.health.state)


def probe_result(
    src: SourceLink, rtt_ms: float | None, at: int, t: Thresholds, capacity: int
) -> list[Transition]:
    """One probe of the endpoint: a sample when answered (silence is judged on the tick)."""
    first_answer = src.window.last_answer is None
    if rtt_ms is not None and (first_answer or src.health.state in ("offline", "unknown")):
        # The outage is on record as offline (or the endpoint had not answered since the
        # hub started): those lost probes are not loss of the link that answers now.
        src.window.clear()
    src.window.add(rtt_ms)
    src.loss_pct = src.window.loss_pct
    transitions: list[Transition] = []
    if rtt_ms is not None:
        src.last_heard = at
        src.rtt_ms = rtt_ms
        src.jitter_ms = src.window.jitter_ms
        sample = Sample(at, rtt_ms, src.jitter_ms, src.loss_pct)
        transitions = observe(src.health, sample, t)
    src.record(at, capacity)
    return transitions


def bridge_sample(
    src: SourceLink, sample: dict[str, Any], at: int, t: Thresholds, capacity: int
) -> list[Transition]:
    """One report of the bridge about the site's participant (validated at the edge).

    Out of the call is offline at once (``left_call``); in the call, the worse of the
    two directions is judged: the highest loss and jitter, the RTT as reported.
    """
    if src.last_heard and at > src.last_heard:
        gap = at - src.last_heard
        src.interval_ms = (
            gap if not src.interval_ms else src.interval_ms + (gap - src.interval_ms) / 4
        )
    src.last_heard = at
    in_call = bool(sample.get("in_call"))
    directions = {d: sample[d] for d in DIRECTIONS if isinstance(sample.get(d), dict)}
    src.detail = {"in_call": in_call, **directions}
    if not in_call:
        src.rtt_ms = src.jitter_ms = src.loss_pct = None
        transitions = left_call(src.health, at, t)
    else:
        src.rtt_ms = _worst(d.get("rtt_ms") for d in directions.values())
        src.jitter_ms = _worst(d.get("jitter_ms") for d in directions.values())
        src.loss_pct = _worst(d.get("loss_pct") for d in directions.values())
        transitions = observe(src.health, Sample(at, src.rtt_ms, src.jitter_ms, src.loss_pct), t)
    src.record(at, capacity)
    return transitions


def _worst(values: Any) -> float | None:
    found = [v for v in values if isinstance(v, int | float)]
    return float(max(found)) if found else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
