"""The log side of a hub: group commit, conflicts, failures, and tailing a shared log.

``CommitLog`` is the half of ``ConferenceHub`` that talks to the event log. Commands
are *attempts*: a closure that decides against the speculative state and returns
(records, answers, result). Attempts queue up while a write is in flight and the
committer writes them in one append (one fsync). Then, in seq order, each record is
applied to the durable state, kept for resume, published and shown to listeners;
only then do the waiting commands get their answers.

Three ways an append can end:

- **it lands**: as above;
- **another hub instance appended first** (``SeqConflict``, only with a shared log
  such as Redis): the new events are read, applied and published, the speculative
  state is rebuilt from the durable one, and every waiting attempt is decided
  again; a command that is now refused (the other assistant gave the floor first)
  answers with that refusal. So two instances never interleave conflicting events,
  and timers fire once: a second instance re-deciding a ``Tick`` finds nothing due;
- **the log is down**: nothing was written, every waiting command answers
  ``internal`` (retry), and the speculative state is rebuilt from the durable one.

With a shared log, a tail task reads what other instances append and applies it
the same way. With nothing of ours in flight the speculative state takes the same
records; otherwise it is marked stale and the committer decides every waiting
command again (refusals included) before anything is written or answered. A lock
keeps the tail and the committer from applying the same record twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from controlroom.domain import ConferenceState, Event, apply, clone_state, state_to_dict
from controlroom.service.errors import Unavailable
from controlroom.service.publisher import Publisher
from controlroom.store.base import Answer, EventLog, SeqConflict, SharedLog, Snapshot
from controlroom.store.chain import Record

log = logging.getLogger("controlroom.hub")

MAX_REDOS = 50

#: Decides (again) against the current speculative state: records, answers, result.
Attempt = Callable[[], tuple[list[Record], list[Answer], Any]]


@dataclass
class _Pending:
    attempt: Attempt
    future: asyncio.Future[None]
    records: list[Record] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    result: Any = None


class CommitLog:
    """Mixin for ``ConferenceHub``: everything between a decision and the log."""

    # Provided by ConferenceHub.
    id: str
    store: EventLog
    publisher: Publisher
    fingerprint: str
    state: ConferenceState
    durable: ConferenceState
    durable_seq: int
    ready: bool
    recent: deque[Record]
    snapshot_every: int
    _assigned_seq: int
    _head_hash: str
    _durable_hash: str
    _snapshot_seq: int
    _snapshotting: asyncio.Task[None] | None
    _pending: list[_Pending]
    _wake: asyncio.Event
    _changed: asyncio.Event

    def _init_commit_log(self) -> None:
        self._log_lock = asyncio.Lock()
        # Set when the tail applied another instance's records under decisions of ours
        # not yet durable: the speculative state lacks them until the committer redoes.
        self._stale = False
        self._local_seqs: deque[int] = deque(maxlen=10_000)
        self.listeners: list[Callable[[Event], None]] = []

    def is_local(self, seq: int) -> bool:
        """Whether this instance decided the event at ``seq`` (not another hub instance)."""
        return seq in self._local_seqs

    async def _submit(self, attempt: Any) -> Any:
        """Decide now, wait until durable (deciding again after a conflict); the result."""
        if not self.ready:
            raise Unavailable("the hub is recovering its state")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pending = _Pending(attempt, future)
        pending.records, pending.answers, pending.result = attempt()
        self._pending.append(pending)
        self._wake.set()
        await future
        return pending.result

    async def _commit_loop(self) -> None:
        redos = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending, []
                landed = await self._commit_batch(batch, redos >= MAX_REDOS)
                redos = 0 if landed else redos + 1

    async def _commit_batch(self, batch: list[_Pending], give_up: bool) -> bool:
        records = [r for p in batch for r in p.records]
        answers = [a for p in batch for a in p.answers]
        async with self._log_lock:
            if self._stale or (records and records[0].event.seq != self.durable_seq + 1):
                # The tail applied another instance's events meanwhile: decide again
                # (refusals too: they write no event but were decided without them).
                self._redo(batch)
                return False
            try:
                await self.store.append(self.id, self.durable_seq, records, answers)
            except SeqConflict as exc:
                if give_up:
                    self._rollback(batch, exc)
                    return True
                await self._catch_up()
                self._redo(batch)
                return False
            except Exception as exc:  # noqa: BLE001 - every waiter learns of it
                log.error("commit of %d events failed: %s", len(records), exc)
                self._rollback(batch, exc)
                return True
            for rec in records:
                self._local_seqs.append(rec.event.seq)
                self._apply_durable(rec)
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(None)
        due = self.durable_seq - self._snapshot_seq >= self.snapshot_every
        if due and (self._snapshotting is None or self._snapshotting.done()):
            # Written in the background: the next batch must not wait for a snapshot.
            self._snapshotting = asyncio.create_task(self._save_snapshot())
        return True

    def _apply_durable(self, rec: Record) -> None:
        """One committed record: durable state, resume buffer, fan-out, listeners."""
        apply(self.durable, rec.event)
        self.recent.append(rec)
        self.durable_seq = rec.event.seq
        self._durable_hash = rec.hash
        self.publisher.event(rec.event.to_wire())
        for listener in self.listeners:
            try:
                listener(rec.event)
            except Exception:  # noqa: BLE001 - a listener never breaks the log
                log.exception("listener failed on seq %d", rec.event.seq)

    async def _catch_up(self, follow: bool = False) -> list[Record]:
        """Apply what other instances appended since our durable seq (lock held).

        With ``follow``, the speculative state takes each read batch before the next
        await: the records are published as they are applied, and a command sent by
        someone who has seen them must be decided on a state that has them.
        """
        applied: list[Record] = []
        while True:
            fresh = await self.store.read(self.id, self.durable_seq, limit=1000)
            if not fresh:
                return applied
            idle = not self._stale and not self._pending and self._assigned_seq == self.durable_seq
            for rec in fresh:
                self._apply_durable(rec)
            if follow:
                self._follow(fresh, idle)
            applied += fresh

    def _follow(self, fresh: list[Record], idle: bool) -> None:
        """Bring the speculative state up to records another instance appended."""
        if idle:
            # Nothing of ours in flight: the live state takes the same records.
            for rec in fresh:
                apply(self.state, rec.event)
            self._assigned_seq = self.durable_seq
            self._head_hash = self._durable_hash
        else:
            # Built without these records: every decision not yet durable is redone by
            # the committer before it is written or answered (one state copy for all).
            self._stale = True
            self._wake.set()
        self._changed.set()

    def _reset_speculation(self) -> None:
        self._stale = False
        self.state = clone_state(self.durable)
        self._assigned_seq = self.durable_seq
        self._head_hash = self._durable_hash

    def _redo(self, batch: list[_Pending]) -> None:
        """Decide every waiting attempt again, in order, on the caught-up state."""
        waiting = batch + self._pending
        self._pending = []
        self._reset_speculation()
        for pending in waiting:
            if pending.future.done():
                continue
            try:
                pending.records, pending.answers, pending.result = pending.attempt()
            except Exception as exc:  # noqa: BLE001 - that command fails, the rest go on
                pending.future.set_exception(exc)
                continue
            self._pending.append(pending)
        self._wake.set()

    def _rollback(self, batch: list[_Pending], exc: Exception) -> None:
        """Forget every decision not yet durable, including those decided after this batch."""
        doomed = batch + self._pending
        self._pending = []
        self._reset_speculation()
        for pending in doomed:
            if not pending.future.done():
                pending.future.set_exception(Unavailable(str(exc)))

    async def _tail_loop(self) -> None:
        """With a shared log: apply what other hub instances append, as it comes."""
        tail = cast(SharedLog, self.store).tail  # started only when store.shared
        while True:
            try:
                seen = await tail(self.id, self.durable_seq, 2000)
            except Exception as exc:  # noqa: BLE001 - the log may be down for a while
                log.warning("tailing the log failed: %s", exc)
                await asyncio.sleep(1.0)
                continue
            if not seen:
                continue
            async with self._log_lock:
                await self._catch_up(follow=True)

    async def _save_snapshot(self) -> None:
        snap = Snapshot(self.durable_seq, self.fingerprint, state_to_dict(self.durable))
        try:
            await self.store.save_snapshot(self.id, snap)
            self._snapshot_seq = snap.seq
        except Exception as exc:  # noqa: BLE001 - a snapshot is an optimisation only
            log.warning("snapshot at %d not saved: %s", snap.seq, exc)
