"""Purging a conference after its retention period, keeping a seal of what existed.

Rules:

- ``purge`` removes a conference's events, its answers and its snapshot from the
  data directory's log, once ``retention_days`` (conference.toml) have passed since
  its last event. Before it deletes anything it verifies the chain (a broken log is
  not purged: its seal could not prove anything) and writes the **seal**,
  ``<data>/seals/<conference>.json``: how many events, the first and last seq and
  times, the hash at the head of the chain, the count of each event name, who
  purged and when, and ``seal_hash``, the SHA-256 of all of that. The head hash is
  the one the signed checkpoints and the witness file hold, so an auditor can still
  prove what the log contained.
- ``check_seal`` recomputes ``seal_hash``: an altered seal is named.
- The read log is kept (it says who read, not what the conference said).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controlroom.store.audit import verify_data_dir

DAY_MS = 86_400_000


class PurgeRefused(Exception):
    """The conference may not be purged (yet); the message says why."""


def _digest(seal: dict[str, Any]) -> str:
    body = {k: v for k, v in seal.items() if k != "seal_hash"}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal_path(data_dir: Path, conference: str) -> Path:
    """Where the seal of ``conference`` is kept."""
    return data_dir / "seals" / f"{conference}.json"


def purge(
    data_dir: Path, conference: str, by: str, now_ms: int, retention_days: int | None
) -> dict[str, Any]:
    """Seal, then remove, the conference's log; returns the seal. Raises PurgeRefused."""
    if retention_days is None:
        raise PurgeRefused("conference.toml sets no retention_days: nothing may be purged")
    db_path = data_dir / "events.db"
    if not db_path.exists():
        raise PurgeRefused(f"no event log at {db_path}")
    audit = verify_data_dir(data_dir, conference).get(conference)
    if audit is None or audit.chain.count == 0:
        raise PurgeRefused(f"the log holds no event of {conference}")
    chain = audit.chain
    if not chain.ok:
        raise PurgeRefused(f"the chain of {conference} is broken at seq {chain.broken_seq}")
    db = sqlite3.connect(db_path)
    try:
        first_at, last_at, head = db.execute(
            "SELECT MIN(at), MAX(at), (SELECT hash FROM events WHERE conference=?1"
            " ORDER BY seq DESC LIMIT 1) FROM events WHERE conference=?1",
            (conference,),
        ).fetchone()
        until = last_at + retention_days * DAY_MS
        if now_ms < until:
            days = -(-(until - now_ms) // DAY_MS)
            raise PurgeRefused(f"{conference} is kept {days} more day(s) (retention_days)")
        names = dict(
            db.execute(
                "SELECT name, COUNT(*) FROM events WHERE conference=? GROUP BY name ORDER BY name",
                (conference,),
            ).fetchall()
        )
        seal: dict[str, Any] = {
            "conference": conference,
            "count": chain.count,
            "first_seq": chain.first_seq,
            "last_seq": chain.last_seq,
            "first_at": first_at,
            "last_at": last_at,
            "head_hash": head,
            "by_name": names,
            "retention_days": retention_days,
            "purged_at": now_ms,
            "purged_by": by,
        }
        seal["seal_hash"] = _digest(seal)
        path = seal_path(data_dir, conference)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as out:
            json.dump(seal, out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(path)  # the seal is on disk before anything is deleted
        with db:
            for table in ("events", "answers", "snapshots"):
                db.execute(f"DELETE FROM {table} WHERE conference=?", (conference,))  # noqa: S608
        db.execute("VACUUM")
        return seal
    finally:
        db.close()


@dataclass(frozen=True, slots=True)
class SealCheck:
    """A seal read back: its content and whether its hash holds."""

    seal: dict[str, Any]
    ok: bool


def check_seals(data_dir: Path, conference: str | None = None) -> list[SealCheck]:
    """Every seal of the data directory (or one conference's), checked."""
    directory = data_dir / "seals"
    if not directory.is_dir():
        return []
    out = []
    for path in sorted(directory.glob("*.json")):
        if conference not in (None, path.stem):
            continue
        try:
            seal = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            out.append(SealCheck({"conference": path.stem}, False))
            continue
        out.append(
            SealCheck(seal, isinstance(seal, dict) and seal.get("seal_hash") == _digest(seal))
        )
    return out
