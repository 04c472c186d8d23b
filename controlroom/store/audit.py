"""Offline verification of a data directory's event log (``controlroom audit verify``).

Rows are read as bytes and decoded one by one, so a row whose text is not UTF-8 or
whose JSON is broken is named by its seq (``UnreadableEvent``), never a traceback.
With a public key (and a witness file), the signed checkpoints are checked too
(``controlroom.store.checkpoints``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from controlroom.domain.model import Actor, Event
from controlroom.store import checkpoints
from controlroom.store.chain import Record, UnreadableEvent, Verification, verify


def _text(value: Any, seq: int, column: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise UnreadableEvent(seq, f"its {column} is not UTF-8 text") from None
    if not isinstance(value, str):
        raise UnreadableEvent(seq, f"its {column} is not text")
    return value


def _records(db: sqlite3.Connection, conference: str) -> Iterator[Record]:
    rows = db.execute(
        "SELECT seq, at, name, actor, data, prev_hash, hash FROM events"
        " WHERE conference=? ORDER BY seq",
        (conference,),
    )
    for seq, at, name, actor, data, prev_hash, hash_ in rows:
        try:
            wire_actor = json.loads(_text(actor, seq, "actor"))
            event_data = json.loads(_text(data, seq, "data"))
            event = Event(
                seq, at, _text(name, seq, "name"), Actor.from_wire(wire_actor), event_data
            )
            yield Record(event, _text(prev_hash, seq, "prev_hash"), _text(hash_, seq, "hash"))
        except UnreadableEvent:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise UnreadableEvent(
                seq, f"it is not a readable event ({type(exc).__name__})"
            ) from None


def open_read_only(data_dir: Path) -> sqlite3.Connection:
    """The data directory's ``events.db``, opened read-only (text columns as bytes)."""
    db = sqlite3.connect(f"file:{data_dir / 'events.db'}?mode=ro", uri=True)
    db.text_factory = bytes
    return db


def conference_names(db: sqlite3.Connection) -> list[str]:
    """Every conference that has events in the log."""
    rows = db.execute("SELECT DISTINCT conference FROM events ORDER BY conference")
    return [r[0].decode("utf-8", "replace") if isinstance(r[0], bytes) else r[0] for r in rows]


@dataclass
class Audit:
    """One conference's verdict: the chain, and what its checkpoints prove."""

    chain: Verification
    checkpoints: checkpoints.CheckpointCheck | None = None

    @property
    def ok(self) -> bool:
        """The chain verifies and no checkpoint contradicts it."""
        return self.chain.ok and (self.checkpoints is None or self.checkpoints.ok)


def verify_data_dir(
    data_dir: Path,
    conference: str | None = None,
    key: Ed25519PublicKey | None = None,
    witness: Path | None = None,
) -> dict[str, Audit]:
    """Verify every conference's chain (or one), and its checkpoints when ``key`` is given."""
    db = open_read_only(data_dir)
    try:
        names = [conference] if conference else conference_names(db)
        results = {}
        for name in names:
            chain = verify(name, _records(db, name))
            checked = None
            if key is not None or witness is not None:
                witnessed = list(checkpoints.read_witness(witness, name)) if witness else []
                try:
                    checked = checkpoints.check(name, _records(db, name), key, witnessed)
                except UnreadableEvent:
                    checked = checkpoints.CheckpointCheck()
                    checked.fail("the log cannot be read to its end (see the chain)")
            results[name] = Audit(chain, checked)
        return results
    finally:
        db.close()
