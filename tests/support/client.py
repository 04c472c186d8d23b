"""A real WebSocket client of the hub (``websockets``), in either codec.

It answers pings by itself, keeps every event it sees, and waits for what a test
expects with a timeout: never a bare sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.support.timing import timeout

_ids = itertools.count(1)


def _not_json(constant: str) -> Any:
    """NaN and Infinity are not JSON: a hub that sends them fails the test."""
    raise ValueError(f"the hub sent {constant}, which is not JSON")


class Client:
    """One session: hello, catch-up, commands, event collection."""

    def __init__(self, ws: ClientConnection, codec: str) -> None:
        self.ws = ws
        self.codec = codec
        self.frames: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] | None = None
        self.snapshot: dict[str, Any] | None = None
        self.synced: dict[str, Any] | None = None
        self.answer_pings = True
        self.pong_delay_s = 0.0
        #: Block the whole event loop this long on each ping (the hub shares the loop in
        #: tests: a busy hub process, not a slow network).
        self.stall_on_ping_s = 0.0
        #: Stats every pong carries ([ext]: a site's stats ride on its pong), if any.
        self.pong_stats: dict[str, Any] | None = None
        self._pongs: asyncio.Queue[tuple[float, int]] = asyncio.Queue()
        self._ponger = asyncio.create_task(self._send_pongs())
        self.links: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self.closed_code: int | None = None

    @classmethod
    async def connect(
        cls,
        ws_url: str,
        token: str | None,
        *,
        codec: str = "json",
        conference: str = "demo",
        resume_after: int | None = None,
        hello: bool = True,
        **kwargs: Any,
    ) -> Client:
        """Open a session and (by default) say hello and wait until synced."""
        ws = await connect(
            ws_url,
            subprotocols=[Subprotocol(f"controlroom.v1.{codec}")],
            compression=None,
            **kwargs,
        )
        client = cls(ws, codec)
        if hello:
            await client.send(
                {
                    "type": "hello",
                    "token": token,
                    "conference": conference,
                    "resume_after": resume_after,
                    "client": "tests/1",
                }
            )
            await client.wait_for(lambda f: f["type"] in ("synced", "error"))
        return client

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame in this client's codec."""
        if self.codec == "json":
            await self.ws.send(json.dumps(frame))
        else:
            await self.ws.send(msgpack.packb(frame, use_bin_type=True))

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if self.codec == "json":
                    assert isinstance(message, str), "JSON sessions get text frames"
                    frame = json.loads(message, parse_constant=_not_json)
                else:
                    assert isinstance(message, bytes), "MessagePack sessions get binary frames"
                    frame = msgpack.unpackb(message, raw=False)
                if frame["type"] == "ping" and self.stall_on_ping_s:
                    time.sleep(self.stall_on_ping_s)  # noqa: ASYNC251 - the point: a busy loop
                if frame["type"] == "ping" and self.answer_pings:
                    # One queue, one sender: a link is FIFO, a pong never overtakes another.
                    self._pongs.put_nowait((time.monotonic() + self.pong_delay_s, frame["n"]))
                self.frames.append(frame)
                kind = frame["type"]
                if kind == "event":
                    self.events.append(frame)
                elif kind == "welcome":
                    self.welcome = frame
                elif kind == "snapshot":
                    self.snapshot = frame
                elif kind == "links":
                    self.links.append(frame)
                elif kind == "synced":
                    self.synced = frame
                self._arrived.set()
        except Exception:  # noqa: BLE001 - the connection ended
            pass
        finally:
            self.closed_code = self.ws.close_code
            self._arrived.set()

    async def _send_pongs(self) -> None:
        while True:
            due, n = await self._pongs.get()
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pong: dict[str, Any] = {"type": "pong", "n": n}
            if self.pong_stats is not None:
                pong["at"], pong["stats"] = 0, self.pong_stats
            try:
                await self.send(pong)
            except Exception:  # noqa: BLE001 - the connection is gone
                return

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], seconds: float = 5.0, start: int = 0
    ) -> dict[str, Any]:
        """The first frame (from index ``start``) matching ``predicate``, waiting for it."""
        async with asyncio.timeout(timeout(seconds)):
            index = start
            while True:
                while index < len(self.frames):
                    frame = self.frames[index]
                    index += 1
                    if predicate(frame):
                        return frame
                if self._reader.done():
                    raise ConnectionError(f"closed ({self.closed_code}) before the expected frame")
                self._arrived.clear()
                await self._arrived.wait()

    async def event(
        self, name: str, seconds: float = 5.0, *, start: int = 0, **match: Any
    ) -> dict[str, Any]:
        """Wait for an event by name whose data contains ``match`` (from frame ``start``)."""
        return await self.wait_for(
            lambda f: (
                f["type"] == "event"
                and f["name"] == name
                and all(f["data"].get(k) == v for k, v in match.items())
            ),
            seconds,
            start,
        )

    def link_of(self, code: str) -> dict[str, Any]:
        """The latest ``links`` entry received for site ``code`` ({} before any)."""
        for frame in reversed(self.frames):
            if frame.get("type") == "links" and code in frame.get("sites", {}):
                return dict(frame["sites"][code])
        return {}

    async def cmd(
        self,
        name: str,
        args: dict[str, Any] | None = None,
        id: Any = None,
        seconds: float = 5.0,
    ) -> dict[str, Any]:
        """Send a command and wait ``seconds`` for its answer."""
        command_id = id if id is not None else f"c{next(_ids)}"
        start = len(self.frames)
        await self.send({"type": "cmd", "id": command_id, "name": name, "args": args or {}})
        return await self.wait_for(
            lambda f: f["type"] in ("ack", "error") and f.get("id") == command_id,
            seconds=seconds,
            start=start,
        )

    async def wait_closed(self, seconds: float = 5.0) -> int | None:
        """Wait until the server closes the connection; its close code."""
        async with asyncio.timeout(timeout(seconds)):
            await asyncio.shield(self._reader)
        return self.closed_code

    @property
    def last_seq(self) -> int:
        """The highest seq this client has seen (events or snapshot)."""
        seqs = [e["seq"] for e in self.events]
        if self.synced:
            seqs.append(self.synced["seq"])
        return max(seqs, default=0)

    async def close(self) -> None:
        """Close the session."""
        await self.ws.close()
        self._reader.cancel()
        self._ponger.cancel()
