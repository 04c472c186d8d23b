"""The log side of a hub: group commit, conflicts, failures, and tailing a shared log.

``Committer`` is what ``ConferenceHub`` holds to talk to the event log. Commands
are *attempts*: a closure that decides against the speculative state and returns
(records, answers, result). Attempts queue up while a write is in flight, and under
load for a couple of milliseconds after the last write began, and the committer
writes them in one append (one fsync). Then, in seq order, each record is
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
import itertools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from controlroom.domain import (
    Actor,
    ConferenceState,
    Event,
    NewEvent,
    apply,
    clone_state,
    state_from_dict,
)
from controlroom.service.errors import Unavailable, UnsafeEvent
from controlroom.service.publisher import Publisher
from controlroom.service.seq_waiters import SeqWaiters
from controlroom.service.snapshots import Snapshots
from controlroom.store.base import (
    Answer,
    EventLog,
    Fenced,
    SeqConflict,
    SharedLog,
)
from controlroom.store.chain import GENESIS, Record, chain_record

log = logging.getLogger("controlroom.hub")

MAX_REDOS = 50
#: How long commits gather under load (see ``Committer._gather_window``).
COMMIT_WINDOW_S = 0.002

#: Decides (again) against the current speculative state: records, answers, result.
Attempt = Callable[[], tuple[list[Record], list[Answer], Any]]


@dataclass
class _Pending:
    attempt: Attempt
    future: asyncio.Future[None]
    records: list[Record] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    result: Any = None


class Committer:
    """Everything between a decision and the log, for one conference.

    It holds the two states (``state`` speculative, ``durable`` committed), gives
    decided events their seq and hash (:meth:`chain`), writes them in groups,
    applies and publishes what is durable, and rebuilds the speculation after a
    conflict or a failure. The hub decides; the committer makes it durable.
    """

    def __init__(
        self,
        conference: str,
        store: EventLog,
        publisher: Publisher,
        initial: Callable[[], ConferenceState],
        fingerprint: str,
        clock_ms: Callable[[], int],
        *,
        snapshot_every: int = 10_000,
        recent_max: int = 20_000,
        commit_window_s: float = COMMIT_WINDOW_S,
    ) -> None:
        self.id = conference
        #: A commit begins at least this long after the previous one began.
        self.commit_window_s = commit_window_s
        self._last_commit_at = float("-inf")
        self.store = store
        self.publisher = publisher
        self._initial = initial
        self.fingerprint = fingerprint
        self.clock_ms = clock_ms
        self.state: ConferenceState = initial()
        self.durable: ConferenceState = initial()
        self.durable_seq = 0
        self._assigned_seq = 0
        self._head_hash = GENESIS
        self._durable_hash = GENESIS
        self.snapshots = Snapshots(
            store, conference, fingerprint, lambda: (self.durable, self.durable_seq), snapshot_every
        )
        self.recent: deque[Record] = deque(maxlen=recent_max)
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        #: Set whenever the speculative state changes (the hub's timers wait on it).
        self.changed = asyncio.Event()
        self.ready = False
        self._log_lock = asyncio.Lock()
        # Set when the tail applied another instance's records under decisions of ours
        # not yet durable: the speculative state lacks them until the committer redoes.
        self._stale = False
        self._local_seqs: deque[int] = deque(maxlen=10_000)
        self.listeners: list[Callable[[Event], None]] = []
        #: Appends another writer won (with one decider per conference: none).
        self.conflicts = 0
        self._seq_waiters = SeqWaiters()

    @property
    def durable_head_hash(self) -> str:
        """The hash of the last durable event (the chain head a checkpoint signs)."""
        return self._durable_hash

    @property
    def assigned_seq(self) -> int:
        """The seq of the last decided event (durable or still on its way)."""
        return self._assigned_seq

    def is_local(self, seq: int) -> bool:
        """Whether this instance decided the event at ``seq`` (not another hub instance)."""
        return seq in self._local_seqs

    async def submit(self, attempt: Any) -> Any:
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

    async def commit_loop(self) -> None:
        """Write what is decided, in groups, for ever (a task of the hub)."""
        redos = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._gather_window()
                batch, self._pending = self._pending, []
                landed = await self._commit_batch(batch, redos >= MAX_REDOS)
                redos = 0 if landed else redos + 1

    async def _gather_window(self) -> None:
        """Wait until ``commit_window_s`` has passed since the last commit began: under
        load a commit of a dozen events instead of 3.5 (each a thread hop, an fsync and
        a write per console) for 2 ms; after a quiet spell, no wait (docs/benchmarks.md)."""
        loop = asyncio.get_running_loop()
        wait = self._last_commit_at + self.commit_window_s - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_commit_at = loop.time()

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
                self.conflicts += 1
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
            with self.publisher.batch():  # each console gets the batch in one write
                for rec in records:
                    self._local_seqs.append(rec.event.seq)
                    self._apply_durable(rec)
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(None)
        self.snapshots.committed()  # in the background: no batch waits for a snapshot
        return True

    def _apply_durable(self, rec: Record) -> None:
        """One committed record: durable state, resume buffer, fan-out, listeners."""
        apply(self.durable, rec.event)
        self.recent.append(rec)
        self.durable_seq = rec.event.seq
        self._durable_hash = rec.hash
        self.publisher.event(rec.event.to_wire())
        self._seq_waiters.reached(rec.event.seq)
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
        self.changed.set()

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
                # Fenced stays itself: the hub relays those commands to the new decider.
                failure = exc if isinstance(exc, Fenced) else Unavailable(str(exc))
                pending.future.set_exception(failure)

    async def wait_durable(self, seq: int, timeout_s: float) -> bool:
        """Wait until the event at ``seq`` is applied here (another instance decided it)."""
        if seq <= self.durable_seq:
            return True
        return await self._seq_waiters.wait(seq, timeout_s)

    async def catch_up(self) -> None:
        """Apply every record of the shared log not yet applied (before deciding alone)."""
        async with self._log_lock:
            await self._catch_up(follow=True)

    async def tail_loop(self) -> None:
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

    async def load(self) -> None:
        snap = await self.store.load_snapshot(self.id)
        durable = self._initial()
        seq = 0
        if snap is not None and snap.fingerprint == self.fingerprint:
            durable = state_from_dict(snap.state)
            seq = snap.seq
        self.snapshots.seq = seq
        while True:
            batch = await self.store.read(self.id, seq, limit=5000)
            if not batch:
                break
            for rec in batch:
                apply(durable, rec.event)
                self.recent.append(rec)
            seq = batch[-1].event.seq
        head_seq, head_hash = await self.store.head(self.id)
        while head_seq != seq:  # another instance appended meanwhile (shared log)
            for rec in await self.store.read(self.id, seq):
                apply(durable, rec.event)
                self.recent.append(rec)
                seq = rec.event.seq
            head_seq, head_hash = await self.store.head(self.id)
            if head_seq < seq:
                raise RuntimeError(f"log head {head_seq} is behind the replay at {seq}")
        self.durable = durable
        self.state = clone_state(durable)
        self.durable_seq = self._assigned_seq = seq
        self._head_hash = self._durable_hash = head_hash
        self.ready = True
        log.info("conference %s loaded at seq %d", self.id, seq)

    def chain(self, actor: Actor, events: list[NewEvent], now: int | None = None) -> list[Record]:
        """Give decided events their seq, time and hash, and apply them speculatively.

        ``now`` must be the time the events were decided at, so that times inside
        the event data agree with the event's ``at``.
        """
        now = self.clock_ms() if now is None else now
        records = []
        seq, head = self._assigned_seq, self._head_hash
        for new in events:
            seq += 1
            event = Event(seq, now, new.name, actor, new.data)
            try:
                record = chain_record(head, self.id, event)
            except ValueError as exc:  # NaN, ±Infinity or a lone surrogate: never stored
                raise UnsafeEvent(f"{new.name} holds a value that cannot be stored") from exc
            records.append(record)
            head = record.hash
        # Only a batch that can all be stored changes the speculative state.
        self._assigned_seq, self._head_hash = seq, head
        for record in records:
            apply(self.state, record.event)
        if records:
            self.changed.set()
        return records

    # -- reading ---------------------------------------------------------------------------
    async def events_after(self, after: int, limit: int | None = None) -> list[Record]:
        """Durable records with seq > ``after`` (from memory when recent enough)."""
        upto = self.durable_seq
        if after >= upto:
            return []
        if self.recent and self.recent[0].event.seq <= after + 1:
            start = after + 1 - self.recent[0].event.seq
            out = list(itertools.islice(self.recent, start, None))
        else:
            out = await self.store.read(self.id, after, limit)
        out = [r for r in out if r.event.seq <= upto]
        return out[:limit] if limit is not None else out

    async def drain(self) -> None:
        """Wait (a second at most) for what is queued to be written, and for a snapshot."""
        for _ in range(100):
            if not self._pending:
                break
            await asyncio.sleep(0.01)
        await self.snapshots.drain()
