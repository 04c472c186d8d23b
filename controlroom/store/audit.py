"""Offline verification of a data directory's event log (``controlroom audit verify``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from controlroom.domain.model import Actor, Event
from controlroom.store.chain import Record, Verification, verify


def _records(db: sqlite3.Connection, conference: str) -> Iterator[Record]:
    rows = db.execute(
        "SELECT seq, at, name, actor, data, prev_hash, hash FROM events"
        " WHERE conference=? ORDER BY seq",
        (conference,),
    )
    for seq, at, name, actor, data, prev_hash, hash_ in rows:
        yield Record(
            Event(seq, at, name, Actor.from_wire(json.loads(actor)), json.loads(data)),
            prev_hash,
            hash_,
        )


def open_read_only(data_dir: Path) -> sqlite3.Connection:
    """The data directory's ``events.db``, opened read-only."""
    return sqlite3.connect(f"file:{data_dir / 'events.db'}?mode=ro", uri=True)


def conference_names(db: sqlite3.Connection) -> list[str]:
    """Every conference that has events in the log."""
    rows = db.execute("SELECT DISTINCT conference FROM events ORDER BY conference")
    return [r[0] for r in rows]


def verify_data_dir(data_dir: Path, conference: str | None = None) -> dict[str, Verification]:
    """Verify every conference's chain (or one); read-only, streaming."""
    db = open_read_only(data_dir)
    try:
        names = [conference] if conference else conference_names(db)
        return {name: verify(name, _records(db, name)) for name in names}
    finally:
        db.close()
