"""One conference, live: authorize → decide → append → publish.

The hub keeps two copies of the state. ``state`` is speculative: every decided
event is applied to it at once, so the next command (even in the same batch) is
decided against it. ``durable`` only ever holds committed events: snapshots and
catch-up are built from it, so a session never sees what the log does not hold.

Group commit: commands decided while the log is busy queue up and the committer
writes them in one transaction (one fsync). Only after the commit does anything
leave the hub: events are published in seq order, then each command gets its
``ack``. If a commit fails, nothing of it was sent; the speculative state is
rebuilt from the durable one and the waiting commands get ``internal``.

Idempotency: an answer is remembered per (account, command id) in memory and in
the log (same transaction as the events), so a repeat gets the same answer, also
after a restart. Timers are ``Tick`` commands issued by the clock.

It must never: publish or acknowledge an event before it is durable, decide on a
state that includes events of a failed commit, or hold the event loop on I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from controlroom.config import ConferenceConfig
from controlroom.domain import (
    SYSTEM,
    Actor,
    ConferenceState,
    DomainError,
    Event,
    NewEvent,
    Tick,
    apply,
    decide,
    initial_state,
    next_deadline,
    parse_command,
    state_from_dict,
    state_to_dict,
)
from controlroom.domain.errors import InvalidArgs
from controlroom.service.audience import event_keys
from controlroom.service.errors import Unavailable, error_answer
from controlroom.store.base import Answer, EventLog, Snapshot
from controlroom.store.chain import GENESIS, Record, link_hash
from signaling.fanout import Fanout

log = logging.getLogger("controlroom.hub")

RESULT_KEYS = ("fault_id", "request_id", "item_id", "call")
ANSWER_CACHE = 50_000


def config_fingerprint(config: ConferenceConfig) -> str:
    """A digest of everything the initial state is built from (snapshots are keyed by it)."""
    body = {
        "conference": asdict(config.conference),
        "settings": asdict(config.settings),
        "sites": [asdict(s) for s in config.sites],
        "agenda": [asdict(a) for a in config.agenda],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class _Pending:
    records: list[Record]
    answers: list[Answer]
    future: asyncio.Future[None]
    on_commit: list[dict[str, Any]] = field(default_factory=list)


class ConferenceHub:
    """The live state, log and fan-out of one conference."""

    def __init__(
        self,
        config: ConferenceConfig,
        store: EventLog,
        clock_ms: Callable[[], int],
        *,
        snapshot_every: int = 10_000,
        recent_max: int = 20_000,
    ) -> None:
        self.config = config
        self.id = config.conference.id
        self.store = store
        self.clock_ms = clock_ms
        self.snapshot_every = snapshot_every
        self.fingerprint = config_fingerprint(config)
        self.fanout = Fanout(on_overflow=lambda sub: sub.evict())
        self.state: ConferenceState = self._initial()
        self.durable: ConferenceState = self._initial()
        self.durable_seq = 0
        self._assigned_seq = 0
        self._head_hash = GENESIS
        self._durable_hash = GENESIS
        self._snapshot_seq = 0
        self.recent: deque[Record] = deque(maxlen=recent_max)
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._answers: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._inflight: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._snapshotting: asyncio.Task[None] | None = None
        self.ready = False
        self.listeners: list[Callable[[Event], None]] = []

    def _initial(self) -> ConferenceState:
        c = self.config
        return initial_state(c.conference, c.settings, c.sites, c.agenda)

    # -- start and stop ------------------------------------------------------------------
    async def start(self) -> None:
        """Rebuild the state from the latest snapshot plus the log after it, then run."""
        await self._load()
        self._tasks = [
            asyncio.create_task(self._commit_loop(), name=f"commit:{self.id}"),
            asyncio.create_task(self._timer_loop(), name=f"timers:{self.id}"),
        ]

    async def _load(self) -> None:
        snap = await self.store.load_snapshot(self.id)
        durable = self._initial()
        seq = 0
        if snap is not None and snap.fingerprint == self.fingerprint:
            durable = state_from_dict(snap.state)
            seq = snap.seq
        self._snapshot_seq = seq
        while True:
            batch = await self.store.read(self.id, seq, limit=5000)
            if not batch:
                break
            for rec in batch:
                apply(durable, rec.event)
                self.recent.append(rec)
            seq = batch[-1].event.seq
        head_seq, head_hash = await self.store.head(self.id)
        if head_seq != seq:
            raise RuntimeError(f"log head {head_seq} but replay reached {seq}")
        self.durable = durable
        self.state = state_from_dict(state_to_dict(durable))
        self.durable_seq = self._assigned_seq = seq
        self._head_hash = self._durable_hash = head_hash
        self.ready = True
        log.info("conference %s loaded at seq %d", self.id, seq)

    async def stop(self) -> None:
        """Stop the timers and the committer (after it has written what is queued)."""
        for _ in range(100):
            if not self._pending:
                break
            await asyncio.sleep(0.01)
        if self._snapshotting is not None:
            with contextlib.suppress(BaseException):
                await self._snapshotting
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks = []

    # -- commands --------------------------------------------------------------------------
    async def execute(self, actor: Actor, command_id: Any, name: Any, args: Any) -> dict[str, Any]:
        """Run one command and return its ``ack`` or ``error`` frame (never raises)."""
        key = (actor.account, str(command_id))
        known = self._answers.get(key)
        if known is not None:
            return known
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            answer = await self._execute(actor, command_id, name, args)
        except BaseException as exc:  # noqa: BLE001 - mapped to the wire, never raised
            answer = error_answer(exc, command_id)
        finally:
            del self._inflight[key]
        future.set_result(answer)
        return answer

    async def _execute(self, actor: Actor, command_id: Any, name: Any, args: Any) -> dict[str, Any]:
        if not self.ready:
            raise Unavailable("the hub is recovering its state")
        stored = await self.store.answer(self.id, actor.account, str(command_id))
        if stored is not None:
            self._remember(actor.account, str(command_id), stored)
            return stored
        if not self.ready:
            raise Unavailable("the hub is recovering its state")
        try:
            if not isinstance(name, str):
                raise InvalidArgs("command name must be a string", field="name")
            if not isinstance(args, dict):
                raise InvalidArgs("args must be a map", field="args")
            command = parse_command(name, args, actor)
            now = self.clock_ms()
            events = decide(self.state, command, actor, now)
        except DomainError as exc:
            answer = error_answer(exc, command_id)
            await self._commit([], [Answer(actor.account, str(command_id), answer)])
            self._remember(actor.account, str(command_id), answer)
            return answer
        answer = {"type": "ack", "id": command_id, "seq": 0, "result": _result(events)}
        records = self._chain(actor, events, now)
        answer["seq"] = records[-1].event.seq if records else self._assigned_seq
        await self._commit(records, [Answer(actor.account, str(command_id), answer)])
        self._remember(actor.account, str(command_id), answer)
        return answer

    async def record(self, actor: Actor, events: Iterable[NewEvent]) -> int:
        """Append events the hub itself decided (link changes, test calls); returns last seq."""
        if not self.ready:
            raise Unavailable("the hub is recovering its state")
        records = self._chain(actor, list(events))
        await self._commit(records, [])
        return records[-1].event.seq if records else self.durable_seq

    async def system(self, command: Any) -> int:
        """Decide and record a command of the hub itself (link monitor, media runner)."""
        if not self.ready:
            raise Unavailable("the hub is recovering its state")
        now = self.clock_ms()
        events = decide(self.state, command, SYSTEM, now)
        records = self._chain(SYSTEM, events, now)
        await self._commit(records, [])
        return records[-1].event.seq if records else self.durable_seq

    def _remember(self, account: str, command_id: str, answer: dict[str, Any]) -> None:
        self._answers[(account, command_id)] = answer
        if len(self._answers) > ANSWER_CACHE:
            self._answers.popitem(last=False)

    def _chain(self, actor: Actor, events: list[NewEvent], now: int | None = None) -> list[Record]:
        """Give decided events their seq, time and hash, and apply them speculatively.

        ``now`` must be the time the events were decided at, so that times inside
        the event data agree with the event's ``at``.
        """
        now = self.clock_ms() if now is None else now
        records = []
        for new in events:
            self._assigned_seq += 1
            event = Event(self._assigned_seq, now, new.name, actor, new.data)
            digest = link_hash(self._head_hash, self.id, event)
            records.append(Record(event, self._head_hash, digest))
            self._head_hash = digest
            apply(self.state, event)
        if records:
            self._changed.set()
        return records

    async def _commit(self, records: list[Record], answers: list[Answer]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(records, answers, future))
        self._wake.set()
        await future

    # -- the committer -----------------------------------------------------------------------
    async def _commit_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending, []
                await self._commit_batch(batch)

    async def _commit_batch(self, batch: list[_Pending]) -> None:
        records = [r for p in batch for r in p.records]
        answers = [a for p in batch for a in p.answers]
        try:
            await self.store.append(self.id, self.durable_seq, records, answers)
        except Exception as exc:  # noqa: BLE001 - every waiter learns of it
            log.error("commit of %d events failed: %s", len(records), exc)
            self._rollback(batch, exc)
            return
        for rec in records:
            apply(self.durable, rec.event)
            self.recent.append(rec)
            self.durable_seq = rec.event.seq
            self._durable_hash = rec.hash
            self.fanout.publish(rec.event.to_wire(), event_keys(rec.event.name, rec.event.data))
            for listener in self.listeners:
                listener(rec.event)
        for pending in batch:
            if not pending.future.done():
                pending.future.set_result(None)
        due = self.durable_seq - self._snapshot_seq >= self.snapshot_every
        if due and (self._snapshotting is None or self._snapshotting.done()):
            # Written in the background: the next batch must not wait for a snapshot.
            self._snapshotting = asyncio.create_task(self._save_snapshot())

    def _rollback(self, batch: list[_Pending], exc: Exception) -> None:
        """Forget every decision not yet durable, including those decided after this batch."""
        doomed = batch + self._pending
        self._pending = []
        self.state = state_from_dict(state_to_dict(self.durable))
        self._assigned_seq = self.durable_seq
        self._head_hash = self._durable_hash
        for pending in doomed:
            if not pending.future.done():
                pending.future.set_exception(Unavailable(str(exc)))

    async def _save_snapshot(self) -> None:
        snap = Snapshot(self.durable_seq, self.fingerprint, state_to_dict(self.durable))
        try:
            await self.store.save_snapshot(self.id, snap)
            self._snapshot_seq = snap.seq
        except Exception as exc:  # noqa: BLE001 - a snapshot is an optimisation only
            log.warning("snapshot at %d not saved: %s", snap.seq, exc)

    # -- timers ----------------------------------------------------------------------------
    async def _timer_loop(self) -> None:
        while True:
            deadline = next_deadline(self.state)
            now = self.clock_ms()
            if deadline is None or deadline > now:
                timeout = None if deadline is None else (deadline - now) / 1000
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout)
                continue
            try:
                events = decide(self.state, Tick(), SYSTEM, now)
                if events:
                    await self._commit(self._chain(SYSTEM, events, now), [])
                else:
                    await asyncio.sleep(0.2)  # a deadline that produced nothing: do not spin
            except Exception as exc:  # noqa: BLE001 - timers retry on the next round
                log.warning("timer round failed: %s", exc)
                await asyncio.sleep(1.0)

    def poke(self) -> None:
        """Re-evaluate timers now (after a clock change in tests, for instance)."""
        self._changed.set()

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


def _result(events: list[NewEvent]) -> dict[str, Any]:
    """The ``result`` map of an ack: the ids the command created, if any."""
    for event in reversed(events):  # agenda.advance: the item started, not the one finished
        found = {k: event.data[k] for k in RESULT_KEYS if k in event.data}
        if found:
            return found
    return {}
