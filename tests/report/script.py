"""A conference scripted through the pure domain with explicit times, as a chained log.

``Script`` decides each command against its state at the time given, chains the
events exactly as the hub does (seq, ``at``, ``link_hash``) and keeps the records,
so tests (and bench/report_speed.py) get a real, verifiable log without a clock.
``write(path)`` stores the records in an ``events.db`` with the hub's schema.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from controlroom.config import ConferenceConfig
from controlroom.domain import (
    SYSTEM,
    Actor,
    Event,
    LinkChange,
    NewEvent,
    apply,
    decide,
    initial_state,
    parse_command,
)
from controlroom.domain.commands import LinkState
from controlroom.store.chain import GENESIS, Record, link_hash
from controlroom.store.sqlite import SqliteEventLog, canonical_json

OPERATOR = Actor("operator", "operator", None)
ASSISTANT = Actor("assistant", "assistant", None)
ADMIN = Actor("admin", "admin", None)


def site_actor(code: str) -> Actor:
    """The site account of ``code`` in the demo conference."""
    return Actor(f"site-{code.lower()}", "site", code)


def local_ms(config: ConferenceConfig, hhmmss: str, day_offset: int = 0) -> int:
    """Unix ms of ``HH:MM[:SS]`` local time on the conference day (plus ``day_offset``)."""
    tz = ZoneInfo(config.conference.timezone)
    day = datetime.fromtimestamp(config.conference.starts_at / 1000, tz).date()
    parts = [int(p) for p in hhmmss.split(":")] + [0]
    local = datetime(day.year, day.month, day.day, parts[0], parts[1], parts[2], tzinfo=tz)
    return int(local.timestamp() * 1000) + day_offset * 86_400_000


class Script:
    """Drive a conference through ``decide``/``apply`` with explicit times."""

    def __init__(self, config: ConferenceConfig) -> None:
        self.config = config
        c = config
        self.state = initial_state(c.conference, c.settings, c.sites, c.agenda)
        self.records: list[Record] = []
        self.head = GENESIS

    def _chain(self, actor: Actor, events: list[NewEvent], at: int) -> list[Event]:
        out = []
        for new in events:
            event = Event(len(self.records) + 1, at, new.name, actor, new.data)
            digest = link_hash(self.head, self.config.conference.id, event)
            self.records.append(Record(event, self.head, digest))
            self.head = digest
            apply(self.state, event)
            out.append(event)
        return out

    def cmd(self, actor: Actor, name: str, args: dict[str, Any], at: int) -> list[Event]:
        """Run one wire command at ``at`` (raises DomainError when refused)."""
        command = parse_command(name, args, actor)
        return self._chain(actor, decide(self.state, command, actor, at), at)

    def link(
        self, site: str, to: str, at: int, rtt: float | None = None, loss: float = 0.0
    ) -> None:
        """A link change as the link monitor would record it."""
        command = LinkChange(
            site=site,
            to=cast(LinkState, to),
            reason="test",
            rtt_ms=rtt,
            loss_pct=loss,
            jitter_ms=None,
        )
        self._chain(SYSTEM, decide(self.state, command, SYSTEM, at), at)

    def tick(self, at: int) -> list[Event]:
        """Fire the timers due at ``at``."""
        from controlroom.domain import Tick

        return self._chain(SYSTEM, decide(self.state, Tick(), SYSTEM, at), at)

    def record(self, name: str, data: dict[str, Any], at: int) -> None:
        """Append an event the hub records itself (test calls)."""
        self._chain(SYSTEM, [NewEvent(name, data)], at)

    def write(self, data_dir: Path, canonical: bool = True) -> Path:
        """Store the records as ``data_dir/events.db`` (the hub's schema); returns the path.

        ``canonical=False`` writes ``data`` with its keys unsorted, as logs written
        before the SQLite log stored it canonical.
        """
        dump_data = canonical_json if canonical else _unsorted_json
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / "events.db"
        store = SqliteEventLog(path)
        store._open()
        store.db.close()
        db = sqlite3.connect(path)
        with db:
            db.executemany(
                "INSERT INTO events VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        self.config.conference.id,
                        r.event.seq,
                        r.event.at,
                        r.event.name,
                        json.dumps(r.event.actor.to_wire(), ensure_ascii=False),
                        dump_data(r.event.data),
                        r.prev_hash,
                        r.hash,
                    )
                    for r in self.records
                ],
            )
        db.close()
        return path


def _unsorted_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
