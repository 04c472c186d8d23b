"""The msgpack WebSocket session of ``fault_latency.py`` and ``links_scale.py``.

One session: connect with ``controlroom.v1.msgpack`` (no compression, no library
pings), say ``hello``, wait for ``synced``, then a reader task answers every
``ping`` at once and hands every other frame to ``on_frame`` with the time it was
read. Subclasses (a console, a site) override ``on_frame``. The scenarios of
``python -m bench`` use ``generator.Session`` instead, which also speaks the
baselines' dialects.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

import msgpack
from websockets.asyncio.client import ClientConnection, connect

SUBPROTOCOL = "controlroom.v1.msgpack"
CONFERENCE = "demo"
CONNECT_TIMEOUT_S = 30.0

S = TypeVar("S", bound="Session")


def pack(frame: dict[str, Any]) -> bytes:
    """One frame as msgpack."""
    return msgpack.packb(frame, use_bin_type=True)  # type: ignore[no-any-return]


class Session:
    """One msgpack WebSocket session whose reader answers every ``ping`` at once."""

    #: What ``now`` in ``on_frame`` is measured with (the wall clock to compare with
    #: the hub's ``at``; ``time.perf_counter`` for latencies within this process).
    clock: Callable[[], float] = time.perf_counter
    client = "bench/1"

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.reader: asyncio.Task[None] | None = None
        self.closed_reason: str | None = None
        self.pings = 0

    @classmethod
    async def open(cls: type[S], url: str, token: str | None, *args: Any) -> S:
        """Connect, say hello, wait for ``synced`` and start reading.

        ``args`` go to the constructor after the connection; frames before ``synced``
        already go to ``on_frame``.
        """
        ws = await connect(
            url,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            compression=None,
            max_size=2**24,
            ping_interval=None,
            open_timeout=CONNECT_TIMEOUT_S,
        )
        session = cls(ws, *args)
        hello = {
            "type": "hello",
            "token": token,
            "conference": CONFERENCE,
            "resume_after": None,
            "client": cls.client,
        }
        await ws.send(pack(hello))
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            while True:
                frame = msgpack.unpackb(await ws.recv(), raw=False)
                if frame["type"] == "synced":
                    break
                if frame["type"] == "error":
                    raise RuntimeError(f"hello refused: {frame}")
                session.on_frame(frame["type"], frame, cls.clock())
        session.reader = asyncio.create_task(session._read())
        return session

    async def _read(self) -> None:
        clock = type(self).clock
        try:
            async for message in self.ws:
                now = clock()
                frame = msgpack.unpackb(message, raw=False)
                kind = frame["type"]
                if kind == "ping":
                    self.pings += 1
                    await self.ws.send(pack({"type": "pong", "n": frame["n"]}))
                else:
                    self.on_frame(kind, frame, now)
        except Exception as exc:  # noqa: BLE001 - the connection ended; reported as a drop
            self.closed_reason = repr(exc)
        else:
            self.closed_reason = f"closed {self.ws.close_code}"

    def on_frame(self, kind: str, frame: dict[str, Any], now: float) -> None:
        """Handle one frame other than ``ping`` (``now``: when it was read)."""

    async def close(self) -> None:
        """Stop reading, then close the connection (an end we asked for is no drop)."""
        reader, self.reader = self.reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)
