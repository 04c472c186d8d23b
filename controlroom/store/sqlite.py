"""The embedded event log: one SQLite file in WAL mode, written from one thread.

Durability: ``synchronous=FULL`` so a commit has reached the disk before ``append``
returns, which is what lets the hub send an ``ack``. Every call runs on a single
dedicated thread (SQLite connections are not shared across threads and the event
loop must never block on ``fsync``). Callers batch many commands into one
``append`` (group commit), so one fsync covers them all.

One process writes the file (the embedded log is not shared between instances: that
is what Redis is for), which lets a lookup of a command's answer skip the read when
the key was surely never stored (``answer_keys.py``).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from controlroom.domain.model import Actor, Event
from controlroom.store.answer_keys import AnswerKeys
from controlroom.store.base import (
    Answer,
    SeqConflict,
    Snapshot,
    StoreUnavailable,
    decode_state,
    load_json,
)
from controlroom.store.chain import GENESIS, Record, canonical_json

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    conference TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    name TEXT NOT NULL,
    actor TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (conference, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS answers (
    conference TEXT NOT NULL,
    account TEXT NOT NULL,
    command_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (conference, account, command_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    conference TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL -- MessagePack (a BLOB), or JSON text as versions before wrote
);
"""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _record(row: tuple[Any, ...]) -> Record:
    seq, at, name, actor, data, prev_hash, hash_ = row
    event = Event(seq, at, name, Actor.from_wire(load_json(actor)), load_json(data))
    return Record(event, prev_hash, hash_)


class SqliteEventLog:
    """EventLog on one SQLite file (``events.db`` in the data directory)."""

    #: One hub process owns the file: no other instance appends to it.
    shared = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-log")
        # Reads get their own thread and connection: in WAL mode they never wait for
        # a commit's fsync, so an idempotency lookup is not queued behind a write.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-read")
        # Snapshots too: a few MB written by the log's own thread held every commit
        # behind it for tens of ms. Their connection does not fsync (synchronous
        # NORMAL): its pages are in the same WAL, made durable by the next append's
        # fsync, and a snapshot lost to a power cut is only start-up time.
        self._snapshots = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-snap")
        self._db: sqlite3.Connection | None = None
        self._rdb: sqlite3.Connection | None = None
        self._sdb: sqlite3.Connection | None = None
        #: This process is the file's one writer: the answers' keys, known without a read.
        self._answer_keys = AnswerKeys()

    async def _run(self, fn: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    async def _read_run(self, fn: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader, fn, *args)

    def _open_reader(self) -> None:
        rdb = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        rdb.execute("PRAGMA busy_timeout=5000")
        self._rdb = rdb

    def _open_snapshots(self) -> None:
        sdb = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        sdb.execute("PRAGMA synchronous=NORMAL")
        sdb.execute("PRAGMA busy_timeout=5000")
        self._sdb = sdb

    # -- lifecycle -------------------------------------------------------------------
    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(_SCHEMA)
        self._db = db

    async def open(self) -> None:
        """Create the file and tables if missing."""
        try:
            await self._run(self._open)
            await self._read_run(self._open_reader)
            await asyncio.get_running_loop().run_in_executor(self._snapshots, self._open_snapshots)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open {self.path}: {exc}") from exc

    async def close(self) -> None:
        """Close the database and its thread."""
        if self._rdb is not None:
            rdb, self._rdb = self._rdb, None
            await self._read_run(rdb.close)
        if self._sdb is not None:
            sdb, self._sdb = self._sdb, None
            await asyncio.get_running_loop().run_in_executor(self._snapshots, sdb.close)
        if self._db is not None:
            db, self._db = self._db, None
            await self._run(db.close)
        self._snapshots.shutdown(wait=True)
        self._reader.shutdown(wait=True)
        self._executor.shutdown(wait=True)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreUnavailable("the event log is not open")
        return self._db

    @property
    def rdb(self) -> sqlite3.Connection:
        if self._rdb is None:
            raise StoreUnavailable("the event log is not open")
        return self._rdb

    # -- reads -----------------------------------------------------------------------
    def _head(self, conference: str) -> tuple[int, str]:
        row = self.rdb.execute(
            "SELECT seq, hash FROM events WHERE conference=? ORDER BY seq DESC LIMIT 1",
            (conference,),
        ).fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    async def head(self, conference: str) -> tuple[int, str]:
        """The last seq and hash."""
        return await self._read_run(self._head, conference)  # type: ignore[no-any-return]

    def _read(self, conference: str, after: int, limit: int | None) -> list[Record]:
        sql = (
            "SELECT seq, at, name, actor, data, prev_hash, hash FROM events "
            "WHERE conference=? AND seq>? ORDER BY seq"
        )
        params: tuple[Any, ...] = (conference, after)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [_record(row) for row in self.rdb.execute(sql, params)]

    async def read(self, conference: str, after: int, limit: int | None = None) -> list[Record]:
        """Records after ``after``, in order."""
        return await self._read_run(self._read, conference, after, limit)  # type: ignore[no-any-return]

    def _answer(self, conference: str, account: str, command_id: str) -> dict[str, Any] | None:
        row = self.rdb.execute(
            "SELECT answer FROM answers WHERE conference=? AND account=? AND command_id=?",
            (conference, account, command_id),
        ).fetchone()
        return load_json(row[0]) if row else None

    def _answer_keys_of(self, conference: str) -> list[tuple[str, str]]:
        return self.rdb.execute(
            "SELECT account, command_id FROM answers WHERE conference=?", (conference,)
        ).fetchall()

    async def answer(self, conference: str, account: str, command_id: str) -> dict[str, Any] | None:
        """A stored command answer; at once when its key was surely never stored."""
        keys = self._answer_keys
        if not keys.loaded(conference):
            await keys.load(conference, lambda: self._read_run(self._answer_keys_of, conference))
        if keys.surely_absent(conference, account, command_id):
            return None
        return await self._read_run(self._answer, conference, account, command_id)  # type: ignore[no-any-return]

    def _load_snapshot(self, conference: str) -> Snapshot | None:
        row = self.rdb.execute(
            "SELECT seq, fingerprint, state FROM snapshots WHERE conference=?", (conference,)
        ).fetchone()
        return Snapshot(row[0], row[1], decode_state(row[2])) if row else None

    async def load_snapshot(self, conference: str) -> Snapshot | None:
        """The latest snapshot."""
        return await self._read_run(self._load_snapshot, conference)  # type: ignore[no-any-return]

    # -- the one write -----------------------------------------------------------------
    def _append(
        self,
        conference: str,
        expected_seq: int,
        records: list[Record],
        answers: list[Answer],
    ) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            last = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE conference=?", (conference,)
            ).fetchone()[0]
            if last != expected_seq:
                raise SeqConflict(f"log is at {last}, writer expected {expected_seq}")
            db.executemany(
                "INSERT INTO events VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        conference,
                        r.event.seq,
                        r.event.at,
                        r.event.name,
                        _dumps(r.event.actor.to_wire()),
                        # As the chain hashed it, so a reader can hash it as stored.
                        r.data_json if r.data_json is not None else canonical_json(r.event.data),
                        r.prev_hash,
                        r.hash,
                    )
                    for r in records
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO answers VALUES (?,?,?,?)",
                [(conference, a.account, a.command_id, _dumps(a.answer)) for a in answers],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    async def append(
        self,
        conference: str,
        expected_seq: int,
        records: list[Record],
        answers: list[Answer],
    ) -> None:
        """Commit events and answers in one durable transaction."""
        try:
            await self._run(self._append, conference, expected_seq, records, answers)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot write {self.path}: {exc}") from exc
        finally:
            # Also when the append failed or its wait was cancelled (it may still have
            # committed): a key known that is not stored only costs a read.
            self._answer_keys.stored(conference, [(a.account, a.command_id) for a in answers])

    def _save_snapshot(self, conference: str, snapshot: Snapshot) -> None:
        if self._sdb is None:
            raise StoreUnavailable("the event log is not open")
        self._sdb.execute(  # one statement: its own transaction
            "INSERT OR REPLACE INTO snapshots VALUES (?,?,?,?)",
            (conference, snapshot.seq, snapshot.fingerprint, snapshot.encoded()),
        )

    async def save_snapshot(self, conference: str, snapshot: Snapshot) -> None:
        """Replace the conference's snapshot."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._snapshots, self._save_snapshot, conference, snapshot)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot write {self.path}: {exc}") from exc

    async def healthy(self) -> bool:
        """True while the database is open and answers."""
        try:
            await self._run(lambda: self.db.execute("SELECT 1").fetchone())
        except Exception:  # noqa: BLE001
            return False
        return True

    # -- tools -----------------------------------------------------------------------
    def conferences(self) -> list[str]:
        """Conference ids present in the log (synchronous; for offline tools)."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT conference FROM events")]
