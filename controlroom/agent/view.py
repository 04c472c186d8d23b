"""What a site agent shows: its link, its faults and requests, and who has the floor.

Built from the frames of one session (snapshot, events, links) with no clock
reads: times come from the frames. ``render`` turns it into a few terminal lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from controlroom.domain import faults as fault_rules
from controlroom.domain.faults import Fault
from controlroom.domain.model import SYSTEM, Actor, Event
from controlroom.domain.state import ConferenceState
from controlroom.report.messages import message_text

#: The fault events whose effect on a fault the agent shows (the domain applies them).
FAULT_EVENTS = frozenset(
    {"fault.reported", "fault.acknowledged", "fault.resolved", "fault.confirmed", "fault.reopened"}
)
SPEAK_STATES = {
    "speak.requested": "requested",
    "speak.approved": "approved",
    "speak.rejected": "rejected",
    "speak.withdrawn": "withdrawn",
    "speak.granted": "on_floor",
    "speak.ended": "ended",
}


@dataclass
class SiteView:
    """The agent's picture of its own site."""

    site: str | None = None
    link: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    floor: dict[str, Any] | None = None
    phase: str = ""
    server_offset_ms: int = 0
    #: Announcements not yet marked read, and the centre's latest messages.
    announcements: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    #: The latest "you are next" cue: its id, its reason and the answer given.
    cue: dict[str, Any] | None = None

    def feed(self, frame: dict[str, Any]) -> bool:
        """Apply one frame; True when something a person would see changed."""
        kind = frame.get("type")
        if kind == "welcome":
            self.site = frame.get("site")
            return True
        if kind == "snapshot":
            self._snapshot(frame.get("state") or {})
            return True
        if kind == "links":
            entry = (frame.get("sites") or {}).get(self.site)
            if entry and entry != self.link:
                changed = entry.get("state") != self.link.get("state")
                self.link = entry
                return changed
            return False
        if kind == "event":
            return self._event(frame)
        return False

    def _snapshot(self, state: dict[str, Any]) -> None:
        self.phase = (state.get("conference") or {}).get("phase", "")
        site = (state.get("sites") or {}).get(self.site) or {}
        self.link = dict(site.get("link") or {})
        known = set(Fault.__dataclass_fields__)
        self.faults = {
            k: Fault(**{f: v for f, v in raw.items() if f in known})
            for k, raw in (state.get("faults") or {}).items()
        }
        speaking = state.get("speaking") or {}
        requests = speaking.get("requests") or {}
        self.requests = {k: dict(v) for k, v in requests.items() if v.get("site") == self.site}
        on_floor = speaking.get("on_floor")
        self.floor = dict(requests[on_floor]) if on_floor in requests else None
        self.announcements = {
            k: str(a.get("text", ""))
            for k, a in (state.get("announcements") or {}).items()
            if self.site not in (a.get("read") or {})
        }
        thread = (state.get("threads") or {}).get(self.site) or {}
        self.messages = [
            str(m.get("text") or "(photo)")
            for m in thread.get("messages") or []
            if m.get("side") == "centre"
        ][-3:]
        cues = state.get("cues") or {}
        latest = max(cues, key=lambda c: int(str(c)[1:] or 0), default=None)
        self.cue = dict(cues[latest]) if latest else None

    def _event(self, frame: dict[str, Any]) -> bool:
        name, data = frame.get("name", ""), frame.get("data") or {}
        if name == "conference.phase":
            self.phase = data.get("phase", self.phase)
        elif name in FAULT_EVENTS:
            # The fault's lifecycle is the domain's own: the agent applies its rules.
            fold = SimpleNamespace(faults=self.faults, counters={}, awaiting_escalation={})
            fault_rules.APPLIERS[name](cast(ConferenceState, fold), _event(frame))
        elif name in SPEAK_STATES:
            rid = data.get("request_id", "?")
            if data.get("site") == self.site:
                request = self.requests.setdefault(rid, dict(data))
                request["state"] = SPEAK_STATES[name]
            if name == "speak.granted":
                self.floor = dict(data)
            elif name == "speak.ended" and self.floor and self.floor.get("request_id") == rid:
                self.floor = None
        elif (
            name == "speak.extended"
            and self.floor
            and self.floor.get("request_id") == data.get("request_id")
        ):
            self.floor.update(ends_at=data.get("ends_at"), limit_s=data.get("limit_s"))
        elif name == "announce.sent":
            self.announcements[data.get("announcement_id", "?")] = str(data.get("text", ""))
        elif name == "announce.read":
            self.announcements.pop(data.get("announcement_id", "?"), None)
        elif name == "msg.sent" and data.get("side") == "centre":
            self.messages = [*self.messages, str(data.get("text") or "(photo)")][-3:]
        elif name == "cue.sent":
            self.cue = dict(data)
        elif name == "cue.answered" and self.cue and self.cue.get("cue_id") == data.get("cue_id"):
            self.cue["ready"] = data.get("ready")
        elif name == "link.changed" and data.get("site") == self.site:
            self.link = {**self.link, "state": data.get("to")}
        else:
            return False
        return True


def _event(frame: dict[str, Any]) -> Event:
    """A wire event frame as the domain's ``Event``."""
    actor = frame.get("actor") or {}
    who = (
        Actor(str(actor.get("account", "")), str(actor.get("role", "")), actor.get("site"))
        if actor
        else SYSTEM
    )
    return Event(
        int(frame.get("seq", 0)), int(frame.get("at", 0)), frame["name"], who, frame["data"]
    )


def render(view: SiteView, now_ms: int) -> list[str]:
    """A few lines for the terminal."""
    link = view.link
    parts = [f"[{view.site}] link: {link.get('state', 'unknown')}"]
    if link.get("rtt_ms") is not None:
        parts.append(f"RTT {link['rtt_ms']:.0f} ms")
    if link.get("loss_pct") is not None:
        parts.append(f"loss {link['loss_pct']:.1f} %")
    if link.get("flapping"):
        parts.append("FLAPPING")
    if view.phase:
        parts.append(f"phase: {view.phase}")
    lines = ["  ".join(parts)]
    if view.floor:
        floor = view.floor
        left = ""
        if floor.get("ends_at"):
            seconds = int((floor["ends_at"] - now_ms - view.server_offset_ms) / 1000)
            word = "left" if seconds >= 0 else "over"
            left = f" {abs(seconds) // 60:02d}:{abs(seconds) % 60:02d} {word}"
        where = floor.get("site_name") or floor.get("site")
        lines.append(f"  floor: {floor.get('speaker')} ({where}){left}")
    else:
        lines.append("  floor: -")
    for fid, fault in sorted(view.faults.items()):
        if fault.state != "confirmed":
            # The agent speaks English: a fault the hub opened is rendered from its code.
            words = message_text(fault.description_code, "en")
            what = f"{fault.category} {words or fault.description!r}"
            lines.append(f"  fault {fid} {fault.state}: {what}")
    for aid, text in sorted(view.announcements.items()):
        lines.append(f"  announcement {aid}: {text}")
    for text in view.messages:
        lines.append(f"  centre says: {text}")
    if view.cue:
        cue = view.cue
        ready = cue.get("ready")
        answer = "not answered" if ready is None else "ready" if ready else "not ready"
        what = cue.get("item_id") or cue.get("request_id") or ""
        lines.append(
            f"  YOU ARE NEXT ({cue.get('reason')} {what}): {answer}; answer with 'agent ready'"
        )
    for rid, request in sorted(view.requests.items()):
        if request.get("state") in ("requested", "approved", "on_floor"):
            lines.append(f"  request {rid} {request.get('state')}: {request.get('speaker')}")
    return lines
