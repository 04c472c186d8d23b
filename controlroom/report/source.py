"""Where a report's events come from: the live hub, or a data directory read-only.

Rules: both paths hand :func:`controlroom.report.model.build_report` the same thing,
every stored event of the conference in seq order and the chain verification of
exactly those records, so a report built offline from a copy of the data directory
equals the one served live. The offline reader opens ``events.db`` with
``mode=ro`` and never writes (not even a WAL checkpoint).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controlroom.domain.model import Actor, Event
from controlroom.store import checkpoints
from controlroom.store.chain import GENESIS, Record, Verification, verify


@dataclass(frozen=True, slots=True)
class LogExtract:
    """The events of one conference and what the chain check said of them."""

    events: list[Event]
    verification: Verification
    head_hash: str | None
    #: What the signed checkpoints in the log say (their signatures are checked by
    #: ``audit verify --key``; here, that each names the chain's own hash).
    checkpoints: dict[str, Any] | None = None


def from_records(conference: str, records: list[Record]) -> LogExtract:
    """Verify ``records`` (all of the conference's, in order) and keep their events."""
    verification = verify_fast(conference, records)
    head = records[-1].hash if records else None
    signed = checkpoints.check(conference, records, None).to_dict()
    return LogExtract([r.event for r in records], verification, head, signed)


def _dumps(value: object) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def verify_fast(
    conference: str, records: list[Record], stored_data: list[str] | None = None
) -> Verification:
    """:func:`controlroom.store.chain.verify`, with the canonical bytes built faster.

    The canonical JSON of an event has its keys sorted: ``actor, at, conference, data,
    name, seq``. Instead of dumping the whole map per event, the fixed parts are
    joined around the JSON of ``data`` (actors and names are few and cached). That
    JSON is ``stored_data[i]`` as the log holds it when given (the SQLite log writes
    it canonical), else, or when it does not hash, a fresh canonical dump (older
    logs stored it unsorted). The bytes are identical (a test checks it against
    ``link_hash``); on the first mismatch the standard ``verify`` runs and names the
    broken link in its words.
    """
    prev = GENESIS
    conf = _dumps(conference)
    words: dict[object, str] = {}
    sha256 = hashlib.sha256
    for expected, rec in enumerate(records, start=1):
        event = rec.event
        actor = words.get(event.actor)
        if actor is None:
            actor = words[event.actor] = _dumps(event.actor.to_wire())
        name = words.get(event.name)
        if name is None:
            name = words[event.name] = _dumps(event.name)
        head = f'{{"actor":{actor},"at":{event.at},"conference":{conf},"data":'
        tail = f',"name":{name},"seq":{event.seq}}}'
        chained = prev.encode()
        data = stored_data[expected - 1] if stored_data is not None else _dumps(event.data)
        digest = sha256(chained + (head + data + tail).encode()).hexdigest()
        if digest != rec.hash and stored_data is not None:
            digest = sha256(chained + (head + _dumps(event.data) + tail).encode()).hexdigest()
        if event.seq != expected or rec.prev_hash != prev or digest != rec.hash:
            return verify(conference, records)
        prev = rec.hash
    if not records:
        return Verification(True, 0, None, None)
    return Verification(True, len(records), records[0].event.seq, records[-1].event.seq)


def _rows(db: sqlite3.Connection, conference: str) -> Iterator[tuple[Record, str]]:
    """Each record with its ``data`` column as stored."""
    actors: dict[str, Actor] = {}
    rows = db.execute(
        "SELECT seq, at, name, actor, data, prev_hash, hash FROM events"
        " WHERE conference=? ORDER BY seq",
        (conference,),
    )
    for seq, at, name, actor_text, data, prev_hash, hash_ in rows:
        actor = actors.get(actor_text)
        if actor is None:
            actor = actors[actor_text] = Actor.from_wire(json.loads(actor_text))
        yield Record(Event(seq, at, name, actor, json.loads(data)), prev_hash, hash_), data


def read_data_dir(data_dir: Path, conference: str) -> LogExtract:
    """Every event of ``conference`` in ``data_dir/events.db``, opened read-only."""
    path = data_dir / "events.db"
    if not path.exists():
        raise FileNotFoundError(f"no event log at {path}")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = list(_rows(db, conference))
    finally:
        db.close()
    records = [record for record, _ in rows]
    verification = verify_fast(conference, records, [data for _, data in rows])
    head = records[-1].hash if records else None
    signed = checkpoints.check(conference, records, None).to_dict()
    return LogExtract([r.event for r in records], verification, head, signed)
