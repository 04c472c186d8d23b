"""One conference, live: authorize → decide → append → publish.

The hub decides; its ``Committer`` (committer.py) makes it durable. It keeps two
copies of the state. ``state`` is speculative: every decided
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

Several instances on one shared log: only the one holding the conference's lease
decides (``leader``, see ``decider.py``); on the others every command, system
command and record is relayed to it, and answered once its events are here too.

It must never: publish or acknowledge an event before it is durable, decide on a
state that includes events of a failed commit, or hold the event loop on I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from typing import Any

from controlroom.config import ConferenceConfig
from controlroom.config.fingerprint import config_fingerprint
from controlroom.domain import (
    SYSTEM,
    Actor,
    ConferenceState,
    DomainError,
    Event,
    NewEvent,
    Tick,
    decide,
    initial_state,
    next_deadline,
    parse_command,
)
from controlroom.domain.errors import InvalidArgs
from controlroom.service.answers import ack_result, relay_answers
from controlroom.service.committer import COMMIT_WINDOW_S, Committer
from controlroom.service.decider import RELAY_ACCOUNT, system_body
from controlroom.service.errors import Unavailable, error_answer
from controlroom.service.publisher import Publisher
from controlroom.store.base import Answer, EventLog
from controlroom.store.chain import Record
from controlroom.wire import ack_frame
from signaling.errors import error_frame
from signaling.ratelimit import KeyedBuckets

log = logging.getLogger("controlroom.hub")

ANSWER_CACHE = 50_000
TIMER_COALESCE_S = 0.05
#: How long an edge waits for the events of a command the decider acknowledged.
RELAYED_EVENT_WAIT_S = 2.0


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
        refusal_rate: float = 5.0,
        refusal_burst: float = 20.0,
        commit_window_s: float = COMMIT_WINDOW_S,
    ) -> None:
        self.config = config
        #: Refusals stored per account (for idempotency): past this, answered
        #: ``rate_limited`` and not stored, so a client looping on a refused command
        #: cannot fill the disk (a retry later with the same id is decided afresh).
        self.refusals = KeyedBuckets(refusal_rate, refusal_burst)
        #: Called with (account, code) for each refused command; the runtime logs it.
        self.on_refusal: Callable[[str, str], None] | None = None
        self.id = config.conference.id
        self.store = store
        self.clock_ms = clock_ms
        self.fingerprint = config_fingerprint(config)
        #: The one way out to this conference's sessions (events, live figures).
        self.publisher = Publisher()
        #: The two states, the log and what is durable: the hub decides, it commits.
        self.committer = Committer(
            self.id,
            store,
            self.publisher,
            self._initial,
            self.fingerprint,
            clock_ms,
            snapshot_every=snapshot_every,
            recent_max=recent_max,
            commit_window_s=commit_window_s,
        )
        self._answers: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._inflight: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        #: Who decides this conference when instances share the log (``service.decider``);
        #: None: this instance alone writes it.
        self.leader: Any = None
        #: Called with (command name, seconds spent in ``execute``); metrics set it.
        self.on_command: Callable[[Any, float], None] | None = None

    # -- what the committer holds, read by sessions, routes and listeners -------------------
    @property
    def state(self) -> ConferenceState:
        """The speculative state: every decided event, durable or not yet."""
        return self.committer.state

    @property
    def durable(self) -> ConferenceState:
        """The state of the committed events only (snapshots and catch-up read it)."""
        return self.committer.durable

    @property
    def durable_seq(self) -> int:
        """The seq of the last committed event."""
        return self.committer.durable_seq

    @property
    def durable_head_hash(self) -> str:
        """The hash of the last durable event (the chain head a checkpoint signs)."""
        return self.committer.durable_head_hash

    @property
    def ready(self) -> bool:
        """Whether the state is loaded and commands are taken."""
        return self.committer.ready

    @property
    def recent(self) -> deque[Record]:
        """The latest durable records, for resume without reading the log."""
        return self.committer.recent

    @property
    def listeners(self) -> list[Callable[[Event], None]]:
        """Called with each durable event, in seq order."""
        return self.committer.listeners

    def is_local(self, seq: int) -> bool:
        """Whether this instance decided the event at ``seq`` (not another hub instance)."""
        return self.committer.is_local(seq)

    async def events_after(self, after: int, limit: int | None = None) -> list[Record]:
        """Durable records with seq > ``after`` (from memory when recent enough)."""
        return await self.committer.events_after(after, limit)

    def _initial(self) -> ConferenceState:
        c = self.config
        return initial_state(c.conference, c.settings, c.sites, c.agenda)

    # -- start and stop ------------------------------------------------------------------
    async def start(self) -> None:
        """Rebuild the state from the latest snapshot plus the log after it, then run."""
        await self.committer.load()
        self._tasks = [
            asyncio.create_task(self.committer.commit_loop(), name=f"commit:{self.id}"),
            asyncio.create_task(self._timer_loop(), name=f"timers:{self.id}"),
        ]
        if self.store.shared:
            tail = self.committer.tail_loop()
            self._tasks.append(asyncio.create_task(tail, name=f"tail:{self.id}"))

    async def stop(self) -> None:
        """Stop the timers and the committer (after it has written what is queued)."""
        await self.committer.drain()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a blocking read of a shared log may not notice its cancellation
            # until the server answers; stopping must not wait for that.
            await asyncio.wait(self._tasks, timeout=3)
        self._tasks = []

    # -- commands --------------------------------------------------------------------------
    async def execute(self, actor: Actor, command_id: Any, name: Any, args: Any) -> dict[str, Any]:
        """Run one command and return its ``ack`` or ``error`` frame (never raises)."""
        if self.on_command is None:
            return await self._execute_once(actor, command_id, name, args)
        started = time.perf_counter()
        answer = await self._execute_once(actor, command_id, name, args)
        self.on_command(name, time.perf_counter() - started)
        return answer

    async def _execute_once(
        self, actor: Actor, command_id: Any, name: Any, args: Any
    ) -> dict[str, Any]:
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
            answer = await self._decide_or_relay(actor, command_id, name, args)
        except BaseException as exc:  # noqa: BLE001 - mapped to the wire, never raised
            answer = error_answer(exc, command_id)
        finally:
            del self._inflight[key]
        future.set_result(answer)
        return answer

    async def _decide_or_relay(
        self, actor: Actor, command_id: Any, name: Any, args: Any
    ) -> dict[str, Any]:
        """Decide here, or relay to the conference's decider when another instance is it."""
        if self.leader is None:
            return await self._execute(actor, command_id, name, args)
        body = {"actor": actor.to_wire(), "id": command_id, "name": name, "args": args}
        answer = await self.leader.run(
            "cmd", body, lambda _request: self._execute(actor, command_id, name, args)
        )
        if not isinstance(answer, dict):
            raise Unavailable("the decider sent no answer")
        if answer.get("type") == "ack" and isinstance(answer.get("seq"), int):
            # Decided elsewhere: answer once the events are here too, as a lone hub does.
            await self.committer.wait_durable(answer["seq"], RELAYED_EVENT_WAIT_S)
        if answer.get("code") != "rate_limited":
            self._remember(actor.account, str(command_id), answer)
        return answer

    async def decide_command(
        self, actor: Actor, command_id: Any, name: Any, args: Any
    ) -> dict[str, Any]:
        """A command an edge relayed to this instance, the decider."""
        return await self.execute(actor, command_id, name, args)

    async def _execute(self, actor: Actor, command_id: Any, name: Any, args: Any) -> dict[str, Any]:
        if not self.ready:
            raise Unavailable("the hub is recovering its state")
        stored = await self.store.answer(self.id, actor.account, str(command_id))
        if stored is not None:
            self._remember(actor.account, str(command_id), stored)
            return stored
        if not self.ready:
            raise Unavailable("the hub is recovering its state")
        account, key = actor.account, str(command_id)

        def attempt() -> tuple[list[Record], list[Answer], Any]:
            try:
                if not isinstance(name, str):
                    raise InvalidArgs("command name must be a string", field="name")
                if not isinstance(args, dict):
                    raise InvalidArgs("args must be a map", field="args")
                command = parse_command(name, args, actor)
                now = self.clock_ms()
                events = decide(self.state, command, actor, now)
            except DomainError as exc:
                refusal = error_answer(exc, command_id)
                if self.on_refusal is not None:
                    self.on_refusal(account, exc.code)
                if not self.refusals.allow(account, time.monotonic()):
                    limited = error_frame(
                        "rate_limited", "too many refused commands; slow down", id=command_id
                    )
                    return [], [], limited
                return [], [Answer(account, key, refusal)], refusal
            records = self.committer.chain(actor, events, now)
            seq = records[-1].event.seq if records else self.committer.assigned_seq
            result = ack_result(events, command)
            answer = ack_frame(command_id, seq, result)
            return records, [Answer(account, key, answer)], answer

        answer: dict[str, Any] = await self.committer.submit(attempt)
        if answer.get("code") != "rate_limited":  # not final: the same id may be retried
            self._remember(account, key, answer)
        return answer

    async def record(self, actor: Actor, events: Iterable[NewEvent]) -> int:
        """Append events decided outside the domain (e.g. a test call's result); last seq."""
        decided = list(events)
        if self.leader is None:
            return await self._record_here(actor, decided, None)
        body = {"actor": actor.to_wire(), "events": [[e.name, e.data] for e in decided]}
        answer = await self.leader.run(
            "record", body, lambda request: self.decide_record(actor, decided, request)
        )
        return await self._relayed_seq(answer)

    async def decide_record(
        self, actor: Actor, events: list[NewEvent], request: str | None
    ) -> dict[str, Any]:
        """Record events on this instance, the decider (``request``: relayed under that id)."""
        return {"seq": await self._record_here(actor, events, request)}

    async def _record_here(self, actor: Actor, decided: list[NewEvent], request: str | None) -> int:
        known = await self._relayed_answer(request)
        if known is not None:
            return known

        def attempt() -> tuple[list[Record], list[Answer], Any]:
            records = self.committer.chain(actor, decided)
            seq = records[-1].event.seq if records else self.committer.assigned_seq
            return records, relay_answers(request, seq), seq

        seq: int = await self.committer.submit(attempt)
        return seq

    async def system(self, command: Any) -> int:
        """Decide and record a command of the hub itself (link monitor, media runner)."""
        if self.leader is None:
            return await self._system_here(command, None)
        answer = await self.leader.run(
            "system", system_body(command), lambda request: self.decide_system(command, request)
        )
        return await self._relayed_seq(answer)

    async def decide_system(self, command: Any, request: str | None) -> dict[str, Any]:
        """A system command on this instance, the decider (``request``: relayed under that id)."""
        return {"seq": await self._system_here(command, request)}

    async def _system_here(self, command: Any, request: str | None) -> int:
        known = await self._relayed_answer(request)
        if known is not None:
            return known

        def attempt() -> tuple[list[Record], list[Answer], Any]:
            now = self.clock_ms()
            records = self.committer.chain(SYSTEM, decide(self.state, command, SYSTEM, now), now)
            seq = records[-1].event.seq if records else self.committer.assigned_seq
            return records, relay_answers(request, seq), seq

        seq: int = await self.committer.submit(attempt)
        return seq

    async def _relayed_answer(self, request: str | None) -> int | None:
        """The seq stored for a relayed request an earlier decider already decided."""
        if request is None:
            return None
        stored = await self.store.answer(self.id, RELAY_ACCOUNT, request)
        return stored["seq"] if stored is not None and isinstance(stored.get("seq"), int) else None

    async def _relayed_seq(self, answer: Any) -> int:
        if not isinstance(answer, dict) or not isinstance(answer.get("seq"), int):
            failed = answer.get("failed") if isinstance(answer, dict) else None
            raise Unavailable(f"the decider refused: {failed or answer!r}")
        seq: int = answer["seq"]
        await self.committer.wait_durable(seq, RELAYED_EVENT_WAIT_S)
        return seq

    def _remember(self, account: str, command_id: str, answer: dict[str, Any]) -> None:
        self._answers[(account, command_id)] = answer
        if len(self._answers) > ANSWER_CACHE:
            self._answers.popitem(last=False)

    # -- timers ----------------------------------------------------------------------------
    async def _timer_loop(self) -> None:
        while True:
            if self.leader is not None and not self.leader.is_decider:
                await self.leader.role_changed()  # only the decider's clock fires timers
                continue
            deadline = next_deadline(self.state)
            now = self.clock_ms()
            if deadline is None or deadline > now:
                timeout = None if deadline is None else (deadline - now) / 1000
                self.committer.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.committer.changed.wait(), timeout)
                    # Woken by a change: let a burst of events pass before rescanning
                    # every fault and request for the next deadline.
                    await asyncio.sleep(TIMER_COALESCE_S)
                continue
            try:
                before = self.committer.assigned_seq
                await self.system(Tick())
                if self.committer.assigned_seq == before:
                    await asyncio.sleep(0.2)  # a deadline that produced nothing: do not spin
            except Exception as exc:  # noqa: BLE001 - timers retry on the next round
                log.warning("timer round failed: %s", exc)
                await asyncio.sleep(1.0)

    def poke(self) -> None:
        """Re-evaluate timers now (after a clock change in tests, for instance)."""
        self.committer.changed.set()
