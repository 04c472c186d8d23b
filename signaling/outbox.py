"""A session's bounded send queue.

The fan-out puts already-encoded payloads here without awaiting; one writer task per
connection drains it to the socket. When the queue passes its frame or byte limit
the session is too slow: ``put`` returns False, the queue stops accepting, and the
connection closes the session (4008) so that one stalled reader never grows the
hub's memory or slows anyone else.

With ``write_now`` set (the direct wire, ``signaling.direct``), a frame that has
nothing queued or being written before it goes straight to the socket, and the
writer task is not woken; only what the socket cannot take at once is queued.

While corked (``cork()`` until ``uncork()``, the fan-out's ``batch``), the frames
that would go straight to the socket are kept, and ``uncork`` writes them all in
one go (``write_many``): a batch of events is one system call per session, not one
per event. Nothing can be queued while some are corked (a frame is queued only
behind another), so the order is kept either way.

While ``hold()`` is in force, live frames are parked aside so the catch-up that
the application sends first (``put_front``-ordered via ``release``) stays in order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

Payload = bytes | str


class Outbox:
    """Bounded FIFO of encoded frames with an overflow flag and an async drain."""

    def __init__(self, max_frames: int = 2048, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self._queue: deque[Payload] = deque()
        self._held: list[Payload] | None = None
        self._bytes = 0
        self._ready = asyncio.Event()
        self._taken = asyncio.Event()
        self.overflowed = False
        self.closed = False
        #: Writes one frame to the socket now, or returns False (see the module's doc).
        self.write_now: Callable[[Payload], bool] | None = None
        #: Writes several frames to the socket now in one go, or returns False.
        self.write_many: Callable[[list[Payload]], bool] | None = None
        #: Frames that went straight to the socket (``write_now``).
        self.direct_count = 0
        #: Frames kept to be written together at ``uncork`` (None: not corked).
        self.corked: list[Payload] | None = None
        #: The writer holds a batch it has not finished writing.
        self._draining = False

    def __len__(self) -> int:
        return len(self._queue) + (len(self._held) if self._held is not None else 0)

    @property
    def queued_bytes(self) -> int:
        """Bytes waiting to be written (including held frames)."""
        return self._bytes

    def hold(self) -> None:
        """Park live frames until :meth:`release`, so catch-up can go first."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        """Queue the parked live frames after whatever was put meanwhile."""
        held, self._held = self._held, None
        if held:
            self._queue.extend(held)
            self._ready.set()

    def put(self, payload: Payload, *, live: bool = True) -> bool:
        """Queue one frame; False (and ``overflowed``) when the session is too slow."""
        if self.closed or self.overflowed:
            return False
        size = len(payload)
        if len(self) >= self.max_frames or self._bytes + size > self.max_bytes:
            self.overflowed = True
            self._ready.set()
            return False
        if (
            self.write_now is not None
            and not self._queue
            and not self._draining
            and (not live or self._held is None)
        ):
            if self.corked is not None:
                self.corked.append(payload)
                self.direct_count += 1
                return True
            if self.write_now(payload):
                self.direct_count += 1
                return True
        self._bytes += size
        if live and self._held is not None:
            self._held.append(payload)
        else:
            self._queue.append(payload)
            self._ready.set()
        return True

    def cork(self) -> None:
        """Keep the frames that would go straight to the socket until :meth:`uncork`."""
        if self.write_many is not None and self.corked is None:
            self.corked = []

    def uncork(self) -> None:
        """Write the corked frames in one go; those the socket cannot take now, queued."""
        corked, self.corked = self.corked, None
        if not corked or self.closed:
            return
        if self.write_many is not None and self.write_many(corked):
            return
        self.direct_count -= len(corked)
        self._queue.extend(corked)
        self._bytes += sum(len(p) for p in corked)
        self._ready.set()

    async def take(self) -> list[Payload]:
        """Wait for frames and return all that are queued (empty list once closed).

        The writer calls it again only once it has written the previous batch; until
        then nothing is written past that batch.
        """
        self._draining = False
        while not self._queue:
            if self.closed or self.overflowed:
                return []
            self._ready.clear()
            await self._ready.wait()
        batch = list(self._queue)
        self._queue.clear()
        self._bytes -= sum(len(p) for p in batch)
        self._taken.set()
        self._draining = True
        return batch

    async def room(self, frames: int) -> None:
        """Wait until at most ``frames`` are queued (flow control for long catch-ups)."""
        while len(self._queue) > frames and not (self.closed or self.overflowed):
            self._taken.clear()
            await self._taken.wait()

    def close(self) -> None:
        """Stop accepting frames and wake the writer so it can finish."""
        self.closed = True
        self._ready.set()
