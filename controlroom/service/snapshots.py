"""When the committer snapshots its durable state, and how, off the event loop.

After a commit that takes the durable seq an interval past the last snapshot
(``every``, then as many events as the last one covered, up to ``MAX_INTERVAL``),
one is taken in the background, unless the hub is busy (then it waits, up to
``MAX_BACKLOG`` events); a burst of commits while one is being taken is covered by
the next, straight after. A snapshot is encoded in a forked
child (``service/forked.py``) from the state as it is at that instant, without a
copy, as MessagePack: encoded in the hub instead, a state of 8,000 faults held the
event loop, and every command and console frame behind it, for 80-300 ms
(docs/benchmarks.md). Where fork is unavailable or fails, the hub encodes it
itself. A snapshot is only an optimisation of the start: a failure is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

from controlroom.domain import ConferenceState, state_to_dict
from controlroom.service.forked import CAN_FORK, run_forked
from controlroom.store.base import EventLog, Snapshot, encode_state

log = logging.getLogger("controlroom.committer")

#: The most events a start replays after the last snapshot (about a second of replay).
MAX_INTERVAL = 100_000
#: Busy: at least this many events durable within the last ``BUSY_WINDOW_S``. A national
#: conference makes a few events a second; a storm of reports, thousands.
BUSY_EVENTS = 500
BUSY_WINDOW_S = 1.0
#: While busy a due snapshot waits, until this many events are past the last one
#: (about three seconds of replay at a start).
MAX_BACKLOG = 300_000


class Snapshots:
    """The snapshots of one conference's durable state."""

    def __init__(
        self,
        store: EventLog,
        conference: str,
        fingerprint: str,
        durable: Callable[[], tuple[ConferenceState, int]],
        every: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.clock = clock
        #: (time, durable seq before) of the recent commits, for :meth:`busy`.
        self._recent: deque[tuple[float, int]] = deque()
        self._noted_seq: int | None = None
        self._recheck: asyncio.TimerHandle | None = None
        self.conference = conference
        self.fingerprint = fingerprint
        self.every = every
        #: Encoded in a forked child where the platform can.
        self.fork = CAN_FORK
        #: The seq of the last snapshot stored (or loaded).
        self.seq = 0
        self._durable = durable
        self._task: asyncio.Task[None] | None = None

    def interval(self) -> int:
        """Events between the last snapshot and the next: ``every``, then as many as the
        last snapshot covered, up to ``MAX_INTERVAL``.

        A snapshot encodes the whole state, which grows with the log, while a start
        replays only the events after it (about 100,000 a second, docs/benchmarks.md).
        Taken every ``every`` events, the snapshots of a log cost its length squared,
        and under a burst (thousands of faults a second) one began every few seconds,
        each larger than the last. Spaced by what the last one covered, their cost is
        about twice the final state's, and a start replays at most ``MAX_INTERVAL``.
        """
        return max(self.every, min(self.seq, MAX_INTERVAL))

    def note(self, seq: int) -> None:
        """Note a commit that took the durable seq to ``seq`` (for :meth:`busy`)."""
        now = self.clock()
        recent = self._recent
        before = seq if self._noted_seq is None else self._noted_seq
        recent.append((now, before))  # the seq before the commit: its events count too
        self._noted_seq = seq
        while recent[0][0] < now - BUSY_WINDOW_S:
            recent.popleft()

    def busy(self, seq: int) -> bool:
        """Whether ``BUSY_EVENTS`` or more became durable within the last ``BUSY_WINDOW_S``
        (``seq`` the durable seq now)."""
        now = self.clock()
        recent = self._recent
        while recent and recent[0][0] < now - BUSY_WINDOW_S:
            recent.popleft()
        return bool(recent) and seq - recent[0][1] >= BUSY_EVENTS

    def due(self, seq: int) -> bool:
        """Whether a snapshot should begin now, the durable seq being ``seq``.

        One is due an :meth:`interval` past the last, but waits while the hub is busy,
        up to ``MAX_BACKLOG`` events: the child that encodes it shares the hub's core
        (or the box's), and under a burst of thousands of commands a second the step of
        a benchmark that crossed a snapshot was the one whose p99 failed
        (docs/benchmarks.md). A start then replays a few seconds more at most.
        """
        behind = seq - self.seq
        if behind < self.interval():
            return False
        return behind >= MAX_BACKLOG or not self.busy(seq)

    def committed(self) -> None:
        """After a commit: start a snapshot in the background if one is due."""
        _, seq = self._durable()
        self.note(seq)
        if self._task is not None and not self._task.done():
            return
        if self.due(seq):
            self._task = asyncio.create_task(self._catch_up())
        elif seq - self.seq >= self.interval() and self._recheck is None:
            # Deferred while busy: look again once the window has passed, in case no
            # commit comes to ask (the burst may have been the last of the day).
            self._recheck = asyncio.get_running_loop().call_later(BUSY_WINDOW_S, self._look_again)

    def _look_again(self) -> None:
        self._recheck = None
        self.committed()

    async def _catch_up(self) -> None:
        while self.due(self._durable()[1]):
            if not await self.take():
                return

    async def take(self) -> bool:
        """Snapshot the durable state as it is now; whether it was stored."""
        started = time.perf_counter()
        state, seq = self._durable()
        where, body = "a child", b""
        if self.fork:
            try:
                body = await run_forked(lambda: encode_state(state_to_dict(state, copy=False)))
            except Exception as exc:  # noqa: BLE001 - then in-process, as without fork
                log.warning("snapshot at %d not encoded in a child (%s): encoding here", seq, exc)
        if not body:  # the state as it is now, encoded here before it changes
            state, seq = self._durable()
            where, body = "the hub", encode_state(state_to_dict(state, copy=False))
        took_ms = (time.perf_counter() - started) * 1000
        log.info("snapshot at %d: %d KiB in %.0f ms by %s", seq, len(body) >> 10, took_ms, where)
        try:
            await self.store.save_snapshot(
                self.conference, Snapshot(seq, self.fingerprint, {}, body)
            )
        except Exception as exc:  # noqa: BLE001 - a snapshot is an optimisation only
            log.warning("snapshot at %d not saved: %s", seq, exc)
            return False
        self.seq = seq
        return True

    async def drain(self) -> None:
        """Wait for the snapshot being taken, if any; then take the one deferred, if any
        (the hub is stopping: the next start should not replay what it deferred)."""
        if self._recheck is not None:
            self._recheck.cancel()
            self._recheck = None
        if self._task is not None:
            with contextlib.suppress(BaseException):
                await self._task
        if self._durable()[1] - self.seq >= self.interval():
            await self.take()
