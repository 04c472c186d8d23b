"""Copy a conference's log from the embedded SQLite file to Redis Streams, chain intact.

The copy refuses a target that already holds events of the conference, checks the
source chain before writing anything, copies events (with their original seq,
time, actor and hashes), the stored command answers (so repeats stay idempotent)
and the latest snapshot, then verifies the chain as the target holds it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from controlroom.store.audit import _records, conference_names, open_read_only
from controlroom.store.base import Answer, EventLog, Snapshot, decode_state
from controlroom.store.chain import Verification, verify

BATCH = 1000


class MigrationError(Exception):
    """The copy cannot be made as asked (the message says why)."""


@dataclass(frozen=True)
class Migrated:
    """What one conference's copy moved."""

    conference: str
    events: int
    answers: int
    snapshot_seq: int | None
    verification: Verification


async def migrate_sqlite(
    data_dir: Path, target: EventLog, conference: str | None = None
) -> list[Migrated]:
    """Copy every conference (or one) from ``data_dir/events.db`` into ``target``."""
    path = data_dir / "events.db"
    if not path.exists():
        raise MigrationError(f"no event log at {path}")
    db = open_read_only(data_dir)
    try:
        names = [conference] if conference else conference_names(db)
        done = []
        for name in names:
            done.append(await _copy(db, name, target))
        return done
    finally:
        db.close()


def _str(value: str | bytes) -> str:
    """A text column (the read-only connection returns them as bytes)."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


async def _copy(db: sqlite3.Connection, conference: str, target: EventLog) -> Migrated:
    source_check = verify(conference, _records(db, conference))
    if not source_check.ok:
        raise MigrationError(
            f"{conference}: the source chain is broken at seq {source_check.broken_seq}"
        )
    head, _ = await target.head(conference)
    if head != 0:
        raise MigrationError(
            f"{conference}: the target already holds {head} events; refusing to mix logs"
        )
    batch = []
    seq = 0
    for record in _records(db, conference):
        batch.append(record)
        if len(batch) >= BATCH:
            await target.append(conference, seq, batch, [])
            seq = batch[-1].event.seq
            batch = []
    if batch:
        await target.append(conference, seq, batch, [])
        seq = batch[-1].event.seq
    answers = [
        Answer(_str(account), _str(command_id), json.loads(answer))
        for account, command_id, answer in db.execute(
            "SELECT account, command_id, answer FROM answers WHERE conference=?", (conference,)
        )
    ]
    for start in range(0, len(answers), BATCH):
        await target.append(conference, seq, [], answers[start : start + BATCH])
    row = db.execute(
        "SELECT seq, fingerprint, state FROM snapshots WHERE conference=?", (conference,)
    ).fetchone()
    if row is not None:
        snapshot = Snapshot(row[0], _str(row[1]), decode_state(row[2]))
        await target.save_snapshot(conference, snapshot)
    copied = await target.read(conference, 0)
    return Migrated(
        conference, len(copied), len(answers), row[0] if row else None, verify(conference, copied)
    )
