"""Shared fixtures for the domain tests: a small conference and a driver that stores events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from controlroom.domain import (
    SYSTEM,
    Actor,
    AgendaItem,
    Command,
    ConferenceInfo,
    ConferenceState,
    Event,
    Settings,
    SiteInfo,
    Tick,
    apply,
    decide,
    initial_state,
    parse_command,
)

T0 = 1_760_000_000_000
MIN = 60_000

SITES = [
    SiteInfo("TW", "Trung ương", "central", "Hà Nội"),
    SiteInfo("HN", "Hà Nội", "site", "Bắc", "Nguyễn Văn A", "0900000001"),
    SiteInfo("HCM", "TP. Hồ Chí Minh", "site", "Nam"),
    SiteInfo("DN", "Đà Nẵng", "site", "Trung"),
]
AGENDA = [
    AgendaItem("A2", 2, T0 + 10 * MIN, 20, "Báo cáo", "Bà B", "Giám đốc", "HN"),
    AgendaItem("A1", 1, T0, 10, "Khai mạc", "Ông A", "Chủ tịch", "TW"),
    AgendaItem("A3", 3, T0 + 30 * MIN, 1, "Bế mạc", "Ông A", "Chủ tịch", None),
]
CONFERENCE = ConferenceInfo("hn-2025", "Hội nghị trực tuyến", T0, T0 - 15 * 3600_000)

ADMIN = Actor("admin", "admin")
OPERATOR = Actor("op1", "operator")
ASSISTANT = Actor("tk1", "assistant")
CHAIR = Actor("chair", "chair")
SITE_HN = Actor("hn", "site", "HN")
SITE_HCM = Actor("hcm", "site", "HCM")


def make_state(**settings: Any) -> ConferenceState:
    """A planned conference with four sites and a three-item run-script."""
    return initial_state(CONFERENCE, Settings(**settings), SITES, AGENDA)


@dataclass
class World:
    """Drives one state: parse, decide, store (seq, at) and apply, like the service."""

    state: ConferenceState
    now: int = T0
    log: list[Event] = field(default_factory=list)

    def run(self, command: Command, actor: Actor, now: int | None = None) -> list[Event]:
        """Decide a parsed command at ``now`` and apply its events; returns the stored events."""
        if now is not None:
            self.now = now
        new = decide(self.state, command, actor, self.now)
        stored = []
        for ev in new:
            event = Event(len(self.log) + 1, self.now, ev.name, actor, ev.data)
            self.log.append(event)
            apply(self.state, event)
            stored.append(event)
        return stored

    def do(
        self, name: str, args: dict[str, Any], actor: Actor, now: int | None = None
    ) -> list[Event]:
        """Parse and run a wire command."""
        return self.run(parse_command(name, args, actor), actor, now)

    def tick(self, now: int) -> list[Event]:
        """Run the clock at ``now``."""
        return self.run(Tick(), SYSTEM, now)

    def names(self, events: list[Event]) -> list[str]:
        """The names of ``events``."""
        return [e.name for e in events]


@pytest.fixture
def world() -> World:
    """A fresh conference driver at T0."""
    return World(make_state())


def report(world: World, site: Actor = SITE_HN, severity: str = "major") -> str:
    """Report a fault as ``site``; returns its id."""
    args = {"category": "audio", "severity": severity, "description": "Mất tiếng"}
    (event,) = world.do("fault.report", args, site)
    return str(event.data["fault_id"])


def request(world: World, site: Actor = SITE_HN, speaker: str = "Ông Trần Văn C") -> str:
    """Register a speaker as ``site``; returns the request id."""
    args = {"speaker": speaker, "title": "Phó Chủ tịch", "topic": "Kinh tế", "kind": "speech"}
    (event,) = world.do("speak.request", args, site)
    return str(event.data["request_id"])
