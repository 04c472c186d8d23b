"""The vocabulary shared by every domain module: who acts, what is stored, what is configured.

Rules: plain frozen dataclasses, no I/O, no clock reads. Times are Unix milliseconds
(``int``) handed in by the caller. The configuration loader builds ``ConferenceInfo``,
``Settings``, ``SiteInfo`` and ``AgendaItem``; the domain never reads files itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("admin", "operator", "assistant", "chair", "site", "bridge")
#: The roles of people at a console; ``bridge`` is a conference bridge or a monitoring
#: script that only posts link samples (no session, no command, no snapshot).
CONSOLE_ROLES = ("admin", "operator", "assistant", "chair", "site")
PHASES = ("planned", "rehearsal", "live", "ended")
LINK_STATES = ("unknown", "online", "degraded", "offline")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issued a command: an account with its role, and its site for the ``site`` role."""

    account: str
    role: str
    site: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The ``actor`` map of an event frame."""
        return {"account": self.account, "role": self.role, "site": self.site}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Actor:
        """Inverse of :meth:`to_wire`."""
        return cls(data["account"], data["role"], data.get("site"))


#: The hub itself, acting for the clock (timers) and for link measurement.
SYSTEM = Actor("system", "system", None)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event decided but not yet stored: ``decide`` returns a list of these."""

    name: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """An event as stored in the log, with its position ``seq`` and time ``at`` (ms)."""

    seq: int
    at: int
    name: str
    actor: Actor
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        """The ``event`` frame of PROTOCOL.md."""
        return {
            "type": "event",
            "seq": self.seq,
            "at": self.at,
            "name": self.name,
            "actor": self.actor.to_wire(),
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Link-health thresholds (DESIGN.md, "Link health")."""

    rtt_ms: float = 300.0
    jitter_ms: float = 30.0
    loss_pct: float = 3.0
    bad_samples: int = 3
    good_samples: int = 3
    offline_after_missed: int = 3
    flap_changes: int = 4
    flap_window_s: int = 300
    #: After the hub starts, how long sites that have not reconnected yet are not
    #: judged offline: a few heartbeats plus the clients' reconnect backoff (≤ 15 s).
    restart_grace_s: float = 20.0
    #: Sites lost within this many seconds of each other are one incident when they are
    #: at least ``incident_min_sites`` and ``incident_share`` of the sites connected.
    incident_window_s: float = 10.0
    incident_min_sites: int = 3
    incident_share: float = 0.1


@dataclass(frozen=True, slots=True)
class Settings:
    """Per-conference rules that the domain applies."""

    speaking_default_s: int = 300
    escalate_after_s: int = 60
    max_on_floor: int = 1
    heartbeat_s: float = 2.0
    #: Minutes before a bridge site's run-script item that the site is cued (0: never; the
    #: configuration asks for at least 1).
    cue_lead_min: int = 5
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True, slots=True)
class ConferenceInfo:
    """Identity and schedule of one conference."""

    id: str
    title: str
    starts_at: int
    test_at: int | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    #: How secret the content is (regulation 001, Điều 3): one of CLASSIFICATIONS.
    classification: str = "normal"


#: Thường, Mật, Tối mật: shown on every console page and every page of the report.
CLASSIFICATIONS = ("normal", "confidential", "secret")


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """A bridge site as configured (``sites.csv``)."""

    code: str
    name: str
    kind: str = "site"  # "central" | "site"
    region: str = ""
    technician: str = ""
    phone: str = ""
    #: The room endpoint to probe (``icmp:HOST`` or ``tcp:HOST:PORT``), or "" for none.
    endpoint: str = ""


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One row of the run-script (``agenda.csv``, "kịch bản")."""

    item_id: str
    order: int
    planned_start: int
    duration_min: int
    content: str
    presenter: str = ""
    presenter_title: str = ""
    site: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The agenda item map of the snapshot."""
        return {
            "item_id": self.item_id,
            "order": self.order,
            "planned_start": self.planned_start,
            "duration_min": self.duration_min,
            "content": self.content,
            "presenter": self.presenter,
            "presenter_title": self.presenter_title,
            "site": self.site,
        }
