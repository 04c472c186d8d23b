"""Link health of a bridge site: hysteresis, flapping, and the events they produce.

Two halves, both pure:

``LinkHealth`` + ``observe`` / ``silence`` / ``closed`` / ``settle`` is the measuring
state machine the hub feeds with samples (a pong's RTT plus what the site reports of
its own media). It never reads the clock: every call takes ``now``. Its table::

    unknown  --1 good sample-------------------------> online
    unknown  --K bad samples-------------------------> degraded
    online   --K consecutive bad samples-------------> degraded
    degraded --K consecutive good samples------------> online
    offline  --K consecutive good (bad) samples------> online (degraded)
    any      --no pong for M x heartbeat, or the last session closed--> offline

K is ``bad_samples`` / ``good_samples`` (default 3), M ``offline_after_missed``
(default 3). A sample is bad when RTT, jitter or loss is over its threshold or the
site reports its audio or video failing. A site that changes state more than
``flap_changes`` times within ``flap_window_s`` is *flapping*: one ``link.flapping``
event marks it, and while it flaps a drop to offline opens no new fault; it is
cleared (one more event) once no change happened for a whole window.

``LinkChange`` / ``LinkFlap`` (SYSTEM-only commands) turn those transitions into
durable events; both are idempotent (a change to the state already recorded emits
nothing), so two hub instances observing the same site record it once.

Going ``offline`` while the conference is ``live`` and not flapping opens a
critical ``network`` fault unless the site has a network fault open. Coming back
``online`` (after the good-sample count) resolves that fault when the hub opened it
and nobody has acknowledged or assigned it (``fault.resolved`` with ``auto`` and
``outage_s``); a fault a person holds or reported gets a note and stays theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import faults, incidents
from .commands import (
    Command,
)
from .model import SYSTEM, Actor, Event, NewEvent, Thresholds
from .sites import require_site
from .state import ConferenceState
from .system_commands import (
    LinkChange,
    LinkFlap,
    LinkPresence,
)

# -- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    """One measurement of a site's link at ``at`` (ms)."""

    at: int
    rtt_ms: float | None = None
    jitter_ms: float | None = None
    loss_pct: float | None = None
    audio: str = "unknown"
    video: str = "unknown"


@dataclass(frozen=True, slots=True)
class Transition:
    """What ``observe`` & co. decided: a new state, or flapping set or cleared.

    ``cause`` is why, as a code with parameters that each console renders in its
    reader's language; ``reason`` is the same in English words, for the log.
    """

    kind: str  # "state" | "flapping"
    to: str
    reason: str
    flapping: bool
    cause: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LinkHealth:
    """The measuring state of one site (not durable; rebuilt from live samples)."""

    state: str = "unknown"
    bad_run: int = 0
    good_run: int = 0
    changes: list[int] = field(default_factory=list)
    flapping: bool = False


def _round(value: float, digits: int = 0) -> float | int:
    return round(value) if digits == 0 else round(value, digits)


def problems(sample: Sample, t: Thresholds) -> list[dict[str, Any]]:
    """Why a sample is bad, as codes with their figures (empty when good)."""
    out: list[dict[str, Any]] = []
    if sample.rtt_ms is not None and sample.rtt_ms > t.rtt_ms:
        out.append({"code": "rtt_high", "rtt_ms": _round(sample.rtt_ms), "limit_ms": t.rtt_ms})
    if sample.jitter_ms is not None and sample.jitter_ms > t.jitter_ms:
        out.append(
            {"code": "jitter_high", "jitter_ms": _round(sample.jitter_ms), "limit_ms": t.jitter_ms}
        )
    if sample.loss_pct is not None and sample.loss_pct > t.loss_pct:
        out.append(
            {"code": "loss_high", "loss_pct": _round(sample.loss_pct, 1), "limit_pct": t.loss_pct}
        )
    if sample.audio == "fail":
        out.append({"code": "audio_failing"})
    if sample.video == "fail":
        out.append({"code": "video_failing"})
    return out


def measured(sample: Sample) -> dict[str, Any]:
    """The figures of a good sample, for the cause of a recovery."""
    out: dict[str, Any] = {}
    if sample.rtt_ms is not None:
        out["rtt_ms"] = _round(sample.rtt_ms)
    if sample.loss_pct is not None:
        out["loss_pct"] = _round(sample.loss_pct, 1)
    return out


def cause_text(cause: dict[str, Any]) -> str:
    """A cause in English words (the ``reason`` of events, for logs and version-1 clients)."""
    code = cause.get("code")
    if code == "bad_samples":
        parts = "; ".join(cause_text(p) for p in cause.get("problems", []))
        return f"{parts} ({cause.get('samples')} samples)"
    if code == "rtt_high":
        return f"RTT {cause['rtt_ms']:.0f} ms > {cause['limit_ms']:.0f} ms"
    if code == "jitter_high":
        return f"jitter {cause['jitter_ms']:.0f} ms > {cause['limit_ms']:.0f} ms"
    if code == "loss_high":
        return f"loss {cause['loss_pct']:.1f} % > {cause['limit_pct']:g} %"
    if code in ("audio_failing", "video_failing", "connection_closed"):
        return str(code).replace("_", " ")
    if code == "left_call":
        return "not in the call (bridge)"
    if code in ("responding", "good_samples"):
        figures = []
        if cause.get("rtt_ms") is not None:
            figures.append(f"RTT {cause['rtt_ms']:.0f} ms")
        if cause.get("loss_pct") is not None:
            figures.append(f"loss {cause['loss_pct']:.1f} %")
        text = ", ".join(figures) or "responding"
        return text if code == "responding" else f"{text} ({cause.get('samples')} good samples)"
    if code == "no_answer":
        return f"no answer for {cause['seconds']:.0f} s"
    if code == "stable":
        return f"stable for {cause['minutes']} min"
    if code == "flapping":
        return f"{cause['changes']} changes in {cause['minutes']} min"
    return str(code or "")


def observe(h: LinkHealth, sample: Sample, t: Thresholds) -> list[Transition]:
    """Feed one sample; the transitions it causes (usually none)."""
    bad = problems(sample, t)
    if bad:
        h.bad_run += 1
        h.good_run = 0
    else:
        h.good_run += 1
        h.bad_run = 0
    if bad:
        if h.state != "degraded" and h.bad_run >= t.bad_samples:
            cause = {"code": "bad_samples", "samples": h.bad_run, "problems": bad}
            return _change(h, "degraded", cause, sample.at, t)
        return []
    if h.state == "unknown":
        return _change(h, "online", {"code": "responding", **measured(sample)}, sample.at, t)
    if h.state in ("degraded", "offline") and h.good_run >= t.good_samples:
        cause = {"code": "good_samples", "samples": h.good_run, **measured(sample)}
        return _change(h, "online", cause, sample.at, t)
    return []


def silence(
    h: LinkHealth, last_heard: int, now: int, t: Thresholds, heartbeat_s: float
) -> list[Transition]:
    """Offline when nothing was heard for ``offline_after_missed`` heartbeats."""
    limit_ms = t.offline_after_missed * heartbeat_s * 1000
    if h.state in ("offline", "unknown") or now - last_heard < limit_ms:
        return []
    quiet_s = round((now - last_heard) / 1000)
    return _change(h, "offline", {"code": "no_answer", "seconds": quiet_s}, now, t)


def closed(h: LinkHealth, now: int, t: Thresholds) -> list[Transition]:
    """The site's last session closed: offline at once."""
    if h.state == "offline":
        return []
    return _change(h, "offline", {"code": "connection_closed"}, now, t)


def left_call(h: LinkHealth, now: int, t: Thresholds) -> list[Transition]:
    """The bridge says the site's participant is not in the call: offline at once."""
    if h.state == "offline":
        return []
    return _change(h, "offline", {"code": "left_call"}, now, t)


def settle(h: LinkHealth, now: int, t: Thresholds) -> list[Transition]:
    """Clear flapping once the site has been stable for a whole window."""
    window_ms = t.flap_window_s * 1000
    if h.flapping and (not h.changes or now - h.changes[-1] >= window_ms):
        h.flapping = False
        h.changes.clear()
        cause = {"code": "stable", "minutes": t.flap_window_s // 60}
        return [Transition("flapping", h.state, cause_text(cause), False, cause)]
    return []


def _change(
    h: LinkHealth, to: str, cause: dict[str, Any], now: int, t: Thresholds
) -> list[Transition]:
    h.state = to
    h.bad_run = h.good_run = 0
    window_ms = t.flap_window_s * 1000
    h.changes = [at for at in h.changes if now - at < window_ms] + [now]
    reason = cause_text(cause)
    out = [Transition("state", to, reason, h.flapping, cause)]
    if not h.flapping and len(h.changes) > t.flap_changes:
        h.flapping = True
        out = [Transition("state", to, reason, True, cause)]
        flap = {"code": "flapping", "changes": len(h.changes), "minutes": t.flap_window_s // 60}
        out.append(Transition("flapping", to, cause_text(flap), True, flap))
    return out


# -- durable events ------------------------------------------------------------------------


def _decide_link(state: ConferenceState, cmd: LinkChange, actor: Actor, now: int) -> list[NewEvent]:
    site = require_site(state, cmd.site)
    previous = site.link["state"]
    if previous == cmd.to:
        # Already so: a second hub instance (or a late report) has nothing to add.
        return []
    events = [
        NewEvent(
            "link.changed",
            {
                "site": site.code,
                "from": previous,
                "to": cmd.to,
                "reason": cmd.reason,
                "cause": cmd.cause,
                "source": cmd.source,
                "rtt_ms": cmd.rtt_ms,
                "loss_pct": cmd.loss_pct,
                "jitter_ms": cmd.jitter_ms,
                "flapping": cmd.flapping,
            },
        )
    ]
    open_network = faults.open_fault_of(state, site.code, "network")
    live = state.conference.phase == "live"
    if cmd.to == "offline" and previous != "offline" and live and not cmd.flapping:
        mass = incidents.on_offline(state, site.code, now, state.settings.thresholds)
        if mass is not None:
            events += mass  # one incident for many sites lost at once
        elif open_network is None:
            # The words are the fallback of version-1 clients; consoles render the code.
            text = f"Mất kết nối đường truyền tới {site.name}."
            report = faults.reported_event(state, site.code, "network", "critical", text)
            report.data["description_code"] = {
                "code": "link_lost", "site": site.code, "cause": cmd.cause, "source": cmd.source
            }  # fmt: skip
            events.append(report)
    if cmd.to == "online" and previous == "offline":
        events += incidents.on_online(state, site.code, now)
    if cmd.to == "online" and previous in ("offline", "degraded") and open_network is not None:
        outage_s = max(0, (now - open_network.reported_at) // 1000)
        if (
            open_network.reported_by == SYSTEM.account
            and open_network.state == "open"
            and open_network.assignee is None
        ):
            # The hub opened it and nobody has taken it on: the hub knows it is over.
            text = (
                f"Đường truyền đã trở lại bình thường sau {_duration_vi(outage_s)};"
                " hệ thống tự đóng sự cố."
            )
            events.append(
                NewEvent(
                    "fault.resolved",
                    {
                        "fault_id": open_network.fault_id,
                        "site": site.code,
                        "resolution": text,
                        "resolution_code": {"code": "link_back_resolved", "outage_s": outage_s},
                        "auto": True,
                        "outage_s": outage_s,
                    },
                )
            )
        else:  # a person has it (or reported it): it stays theirs, with a note
            note = faults.note_event(open_network, "Đường truyền đã trở lại bình thường.")
            note.data["text_code"] = {"code": "link_back", "cause": cmd.cause}
            events.append(note)
    return events


def _duration_vi(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    if minutes == 0:
        return f"{secs} giây"
    return f"{minutes} phút {secs} giây" if secs else f"{minutes} phút"


def _decide_flap(state: ConferenceState, cmd: LinkFlap, actor: Actor, now: int) -> list[NewEvent]:
    site = require_site(state, cmd.site)
    if bool(site.link.get("flapping")) == cmd.flapping:
        return []
    return [
        NewEvent(
            "link.flapping",
            {
                "site": site.code,
                "flapping": cmd.flapping,
                "reason": cmd.reason,
                "cause": cmd.cause,
            },
        )
    ]


def _decide_presence(
    state: ConferenceState, cmd: LinkPresence, actor: Actor, now: int
) -> list[NewEvent]:
    site = require_site(state, cmd.site)
    if site.presence == cmd.presence:
        return []
    return [
        NewEvent(
            "link.presence", {"site": site.code, "presence": cmd.presence, "from": site.presence}
        )
    ]


def _apply_presence(state: ConferenceState, event: Event) -> None:
    site = state.sites.get(event.data.get("site", ""))
    if site is not None:
        site.presence = str(event.data.get("presence", site.presence))


def _apply_link(state: ConferenceState, event: Event) -> None:
    site = state.sites.get(event.data.get("site", ""))
    if site is None:
        return
    site.link = {
        "state": event.data.get("to", "unknown"),
        "rtt_ms": event.data.get("rtt_ms"),
        "jitter_ms": event.data.get("jitter_ms"),
        "loss_pct": event.data.get("loss_pct"),
        "since": event.at,
        # Which source the site's link follows (bridge, endpoint, console) [ext].
        "source": event.data.get("source", "console"),
        # Flapping is owned by link.flapping: a change made while flapping must not set
        # the flag itself, or the link.flapping that follows finds it set and is lost.
        "flapping": bool(site.link.get("flapping", False)),
    }


def _apply_flap(state: ConferenceState, event: Event) -> None:
    site = state.sites.get(event.data.get("site", ""))
    if site is None:
        return
    site.link = {**site.link, "flapping": bool(event.data.get("flapping"))}


DECIDERS: dict[type[Command], Callable[..., list[NewEvent]]] = {
    LinkChange: _decide_link,
    LinkFlap: _decide_flap,
    LinkPresence: _decide_presence,
}
APPLIERS: dict[str, Callable[[ConferenceState, Event], None]] = {
    "link.changed": _apply_link,
    "link.presence": _apply_presence,
    "link.flapping": _apply_flap,
}
