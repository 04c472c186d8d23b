"""What the hub knows of one site's link right now, and its entry in ``links`` frames.

``SiteLink`` holds the console's measurements (pongs, the site's own ``stats``), the
conference-path sources configured for the site (``link_sources.py``), the
technician's presence, and what another hub instance said of the site. Its
``frame()`` is the site's entry in a ``links`` frame; the monitor (``links.py``)
decides, this module only describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controlroom.domain.links import LinkHealth, Sample, Transition
from controlroom.domain.system_commands import LinkChange, LinkFlap
from controlroom.service.link_ring import SampleRing
from controlroom.service.link_sources import SourceLink
from probes.window import ProbeWindow
from signaling.errors import SignalError
from signaling.values import finite_number

LOSS_WINDOW = 50
HEALTH_VALUES = ("ok", "fail", "unknown")
NUMERIC_STATS = ("rtt_ms", "jitter_ms", "loss_pct", "bitrate_kbps")
#: The largest value a site may report for a number in its stats.
STATS_LIMIT = 1e9


def parse_stats(stats: Any) -> dict[str, Any]:
    """A ``stats`` frame's map, checked: ``audio``/``video`` health, finite numbers.

    Raises ``SignalError`` ``invalid_args`` with the field (``stats.<key>``).
    """
    if not isinstance(stats, dict):
        raise SignalError("invalid_args", "stats must be a map", field="stats")
    clean: dict[str, Any] = {}
    for key, value in stats.items():
        if key in ("audio", "video"):
            if value not in HEALTH_VALUES:
                raise SignalError(
                    "invalid_args", f"{key} must be ok, fail or unknown", field=f"stats.{key}"
                )
            clean[key] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = finite_number(value, 0, STATS_LIMIT)
            if number is None:
                raise SignalError(
                    "invalid_args",
                    f"{key} must be a finite number from 0 to {STATS_LIMIT:g}",
                    field=f"stats.{key}",
                )
            clean[str(key)[:64]] = number
        elif key in NUMERIC_STATS:
            raise SignalError("invalid_args", f"{key} must be a number", field=f"stats.{key}")
    return clean


@dataclass
class SiteLink:
    """What the hub knows of one site's link right now."""

    code: str
    health: LinkHealth
    ring: SampleRing | None = None
    sessions: int = 0
    last_heard: int = 0
    rtt_ms: float | None = None
    jitter_ms: float | None = None
    loss_pct: float | None = None
    #: The console's pings, measured as the endpoint's probes are (probes/window.py).
    pongs: ProbeWindow = field(default_factory=lambda: ProbeWindow(LOSS_WINDOW))
    reported: dict[str, Any] = field(default_factory=dict)
    reported_at: int = 0
    dirty: bool = True
    #: What another hub instance holding this site's sessions last said (shared log).
    remote: dict[str, Any] | None = None
    remote_at: int = 0
    #: The conference-path sources configured for this site (link_sources.py).
    bridge: SourceLink | None = None
    endpoint: SourceLink | None = None
    #: Whether a console of the site has been connected since the hub started.
    heard: bool = False
    #: Presence as the log has it (``link.presence``), and the live one being timed
    #: before it is recorded (a phone that locks for a few seconds records nothing).
    presence_recorded: str = "offline"
    presence_seen: str = "offline"
    presence_seen_at: int = 0

    @property
    def source(self) -> str:
        """The source the site's link follows: the best configured one."""
        return "bridge" if self.bridge else "endpoint" if self.endpoint else "console"

    def governing(self) -> SourceLink | None:
        """The conference-path source the link follows, or None for the console."""
        return self.bridge or self.endpoint

    @property
    def presence(self) -> str:
        """The technician's console: ``online``, ``away`` (was here), ``offline`` (never)."""
        if self.sessions > 0 or (self.remote or {}).get("sessions", 0) > 0:
            return "online"
        return "away" if self.heard or self.presence_recorded != "offline" else "offline"

    def shown_key(self) -> tuple[Any, ...]:
        """What of the entry must reach the site's own console at once (not the figures)."""
        if self.sessions == 0 and self.remote is not None and self.governing() is None:
            r = self.remote
            return (r.get("state"), r.get("flapping"), r.get("sessions"))
        src = self.governing()
        health = src.health if src is not None else self.health
        return (health.state, health.flapping, self.sessions, self.presence)

    def staff_key(self, shown: tuple[Any, ...]) -> tuple[Any, ...]:
        """What of the entry must reach the central team at once: the site's own key
        (``shown``, from ``shown_key``) and every source's state (the grid shows each)."""
        return (
            shown,
            self.health.state,
            None if self.endpoint is None else self.endpoint.health.state,
            None if self.bridge is None else self.bridge.health.state,
        )

    def console_entry(self) -> dict[str, Any]:
        """What the technician's session measures (version 1's whole entry)."""
        return {
            "state": self.health.state,
            "rtt_ms": None if self.rtt_ms is None else round(self.rtt_ms, 1),
            "jitter_ms": None if self.jitter_ms is None else round(self.jitter_ms, 1),
            "loss_pct": None if self.loss_pct is None else round(self.loss_pct, 1),
            "flapping": self.health.flapping,
            "sessions": self.sessions,
        }

    def sources(self) -> dict[str, dict[str, Any]]:
        """One entry per configured source, best first."""
        out: dict[str, dict[str, Any]] = {}
        if self.bridge is not None:
            out["bridge"] = self.bridge.entry()
        if self.endpoint is not None:
            out["endpoint"] = self.endpoint.entry()
        out["console"] = self.console_entry()
        return out

    def frame(self) -> dict[str, Any]:
        """This site's entry in a ``links`` frame: the governing source's figures on top.

        ``sources`` is there when a conference-path source is configured (a site
        with the console alone would only repeat its entry).
        """
        src = self.governing()
        if src is None:
            if self.sessions == 0 and self.remote is not None:
                return self.remote
            entry = self.console_entry()  # a fresh dict: no copy of it needed
            entry["source"] = "console"
            entry["presence"] = self.presence
            return entry
        top = src.entry()
        return {
            "state": top["state"],
            "rtt_ms": top["rtt_ms"],
            "jitter_ms": top["jitter_ms"],
            "loss_pct": top["loss_pct"],
            "flapping": top["flapping"],
            "sessions": self.sessions,
            "source": self.source,
            "presence": self.presence,
            "sources": self.sources(),
        }

    def sample(self, now: int, fresh_ms: float) -> Sample:
        """This pong's sample: the measured figures and the site's report if fresh.

        The jitter of pings is shown but not judged: on the control channel it mostly
        measures the hub's own pauses (a garbage collection, a busy second), not the
        media path. The jitter threshold applies to what the site's codec reports.
        """
        loss = self.loss_pct
        judged_jitter: float | None = None
        audio = video = "unknown"
        if now - self.reported_at <= fresh_ms and self.reported:
            r = self.reported
            reported_jitter = r.get("jitter_ms")
            if isinstance(reported_jitter, float):
                judged_jitter = reported_jitter
            loss = _worst(loss, r.get("loss_pct"))
            audio, video = r.get("audio", "unknown"), r.get("video", "unknown")
        return Sample(now, self.rtt_ms, judged_jitter, loss, audio, video)

    def keep(self, sample: Sample, capacity: int) -> None:
        """Store the sample (with the measured jitter, shown) in the site's ring."""
        if self.ring is None:
            self.ring = SampleRing(capacity)
        self.ring.add(sample.at, self.rtt_ms, self.jitter_ms, sample.loss_pct, self.health.state)
        self.dirty = True

    def command_for(self, t: Transition, source: str) -> LinkChange | LinkFlap:
        """The hub's command recording transition ``t`` of ``source`` (the site's own)."""
        if t.kind != "state":
            return LinkFlap(site=self.code, flapping=t.flapping, reason=t.reason, cause=t.cause)
        src = self.governing()
        figures: Any = src if src is not None else self
        return LinkChange(
            site=self.code,
            to=t.to,  # type: ignore[arg-type]
            reason=t.reason,
            cause=t.cause,
            rtt_ms=_round(figures.rtt_ms),
            loss_pct=_round(figures.loss_pct),
            jitter_ms=_round(figures.jitter_ms),
            flapping=t.flapping,
            source=source,  # type: ignore[arg-type]
        )

    def history(self, source: str, since_ms: int) -> list[dict[str, Any]]:
        """The stored samples of ``source`` (``console`` or a path source) since ``since_ms``."""
        if source == "console":
            ring = self.ring
        else:
            path = getattr(self, source, None)
            ring = path.ring if path is not None else None
        return ring.since(since_ms) if ring is not None else []

    def decorate(self, entry: dict[str, Any]) -> None:
        """Put the live source, presence and sources into a snapshot's link entry."""
        entry["source"] = self.source
        entry["presence"] = self.presence
        entry["sources"] = self.sources()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _worst(measured: float | None, reported: Any) -> float | None:
    if not isinstance(reported, float):
        return measured
    return reported if measured is None else max(measured, reported)
