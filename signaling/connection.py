"""With ``signaling.reader``, the one place that awaits the socket: a thin loop
around a session.

A ``Connection`` owns one accepted WebSocket: a writer task drains its bounded
``Outbox``; one timer for all sessions (``PingWheel``) sends each its numbered
ping every heartbeat; the reader loop (``signaling.reader``) decodes frames,
answers pongs, rate-limits commands and hands everything else to the
application's ``SessionHandler``; a command worker runs only while the session
has commands waiting. An idle session is thus two tasks (reader and writer), not
four. Where the server offers the direct wire (``signaling.direct``), a heartbeat
wakes neither: the ping is written from the timer and the pong handled as the
protocol parses it. It knows nothing of what the frames mean beyond the session
rules (hello first, ``cmd`` gets exactly one answer).

It must never: let a parser or handler exception end the session or the server
(they become ``error`` frames, ``internal`` for the unexpected), block the hub on
a slow client (that client is closed with 4008), or send a frame larger than the
client would accept from itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect

from signaling.codecs import Codec, UnencodableFrame, negotiate
from signaling.direct import direct_wire
from signaling.errors import (
    CLOSE_FORBIDDEN_ORIGIN,
    CLOSE_INTERNAL,
    CLOSE_SLOW_CONSUMER,
    CLOSE_UNAUTHENTICATED,
    SignalError,
    error_frame,
)
from signaling.frames import ping_frame, refusal_frame
from signaling.outbox import Outbox
from signaling.pings import PingTracker, PingWheel
from signaling.ratelimit import TokenBucket
from signaling.reader import read, read_direct, receive

log = logging.getLogger("signaling")
_session_ids = itertools.count(1)


def wall_ms() -> int:
    """The wall clock in Unix milliseconds."""
    return int(time.time() * 1000)


@dataclass
class EdgeConfig:
    """Limits and timings of the edge; the application fills the codecs and origin check."""

    codecs: list[Codec]
    default_codec: Codec
    heartbeat_s: float = 2.0
    hello_timeout_s: float = 10.0
    max_frame_bytes: int = 65536
    command_rate: float = 20.0
    command_burst: float = 40.0
    outbox_frames: int = 4096
    outbox_bytes: int = 8 * 1024 * 1024
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    clock_ms: Callable[[], int] = wall_ms
    _wheel: PingWheel | None = field(default=None, repr=False, compare=False)

    def ping_wheel(self) -> PingWheel:
        """The one ping timer of this edge on the running loop (made on first use)."""
        wheel = self._wheel
        if wheel is None or wheel.loop is not asyncio.get_running_loop():
            wheel = self._wheel = PingWheel(self.heartbeat_s, _send_ping)
        return wheel


class SessionHandler(Protocol):
    """What the application provides to the edge."""

    async def open(self, conn: Connection, hello: dict[str, Any]) -> None:
        """Authenticate ``hello``, send welcome and catch-up, subscribe; raise SignalError."""
        ...

    async def command(self, conn: Connection, frame: dict[str, Any]) -> dict[str, Any]:
        """Execute a ``cmd`` frame and return its ``ack`` or ``error`` frame."""
        ...

    async def message(self, conn: Connection, frame: dict[str, Any]) -> None:
        """Handle any other frame type; raise SignalError to answer with an error."""
        ...

    def pong(self, conn: Connection, rtt_ms: float | None, frame: dict[str, Any]) -> None:
        """A pong arrived: its round-trip time (None when it answers no ping waiting).

        ``frame`` is the whole pong, for what the application lets ride on it. This
        runs synchronously, possibly inside the server's protocol: it must not block.
        Raise SignalError to answer with an error.
        """
        ...

    async def close(self, conn: Connection) -> None:
        """The session ended (for whatever reason); forget it."""
        ...


def origin_allowed(origin: str | None, host: str | None, allowed: frozenset[str]) -> bool:
    """Browsers must come from our own host or a configured origin; other clients send none."""
    if origin is None:
        return True
    if origin in allowed or "*" in allowed:
        return True
    if host is None:
        return False
    bare = origin.split("://", 1)[-1].rstrip("/")
    return bare == host


class Connection:
    """One live session over one WebSocket."""

    def __init__(self, websocket: WebSocket, codec: Codec, config: EdgeConfig) -> None:
        self.id = f"s{next(_session_ids)}"
        self.websocket = websocket
        self.codec = codec
        self.config = config
        self.outbox = Outbox(config.outbox_frames, config.outbox_bytes)
        #: The server's direct wire for this socket, when it offers one.
        self.direct = direct_wire(websocket.scope)
        if self.direct is not None:
            self.outbox.write_now = self.direct.write
            self.outbox.write_many = self.direct.write_many
        self.principal: Any = None
        now = config.clock_ms()
        self.pings = PingTracker(float(now))
        self.bucket = TokenBucket(config.command_rate, config.command_burst, time.monotonic())
        self.close_code: int | None = None
        #: The code of the disconnect the server saw (1012: the server itself is restarting).
        self.disconnect_code: int | None = None
        #: Commands waiting for this session's worker (bounded: a flood is rate_limited).
        self.commands: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=64)
        self._worker: asyncio.Task[None] | None = None
        self._closing: asyncio.Task[None] | None = None
        client = websocket.client
        self.peer = f"{client.host}:{client.port}" if client else "?"

    def __repr__(self) -> str:
        return f"<Connection {self.id} {self.peer} {self.principal!r}>"

    def send(self, frame: dict[str, Any]) -> bool:
        """Encode and queue a frame for this session only (not held back by catch-up).

        A frame the codec refuses (NaN, a lone surrogate: a bug upstream) is replaced
        by an ``internal`` error frame, so the session lives and the client is told.
        """
        try:
            payload = self.codec.encode(frame)
        except UnencodableFrame as exc:
            log.error("session %s: %s frame not sent: %s", self.id, frame.get("type"), exc)
            try:
                payload = self.codec.encode(refusal_frame(exc, frame.get("id")))
            except UnencodableFrame:
                payload = self.codec.encode(refusal_frame(exc))
        ok = self.outbox.put(payload, live=False)
        if not ok:
            self.evict()
        return ok

    def evict(self) -> None:
        """Close a session that cannot keep up (4008); it may resume later."""
        self.request_close(CLOSE_SLOW_CONSUMER, "too slow: resume to catch up")

    def request_close(self, code: int, reason: str = "") -> None:
        """Close the session soon, from synchronous code."""
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self.close(code, reason))

    async def close(self, code: int, reason: str = "") -> None:
        """Send a close frame and stop; never waits long on a stalled client."""
        if self.close_code is not None:
            return
        self.close_code = code
        self.outbox.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.websocket.close(code, reason), timeout=3.0)


async def serve(websocket: WebSocket, handler: SessionHandler, config: EdgeConfig) -> None:
    """Run one WebSocket session to its end (the Starlette endpoint body)."""
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, websocket.headers.get("host"), config.allowed_origins):
        log.warning("refused WebSocket from origin %r", origin)
        await websocket.close(CLOSE_FORBIDDEN_ORIGIN)
        return
    offered = list(websocket.scope.get("subprotocols") or [])
    codec = negotiate(offered, config.codecs, config.default_codec)
    await websocket.accept(subprotocol=codec.subprotocol if codec.subprotocol in offered else None)
    conn = Connection(websocket, codec, config)
    writer = asyncio.create_task(_write(conn))
    wheel = config.ping_wheel()
    try:
        hello = await _await_hello(conn)
        if hello is None:
            return
        try:
            await handler.open(conn, hello)
        except SignalError as exc:
            conn.send(refusal_frame(exc))
            await _flush_then_close(conn, writer, exc.close_code or CLOSE_UNAUTHENTICATED)
            return
        wheel.add(conn)
        if conn.direct is not None:
            conn.direct.on_message = lambda message: read_direct(conn, handler, message)
        try:
            await read(conn, handler)
        finally:
            if conn.direct is not None:
                conn.direct.on_message = None
            if conn._worker is not None:
                conn._worker.cancel()
    except WebSocketDisconnect:
        pass
    except Exception:  # noqa: BLE001 - the session ends, the hub does not
        log.exception("session %s failed", conn.id)
    finally:
        wheel.remove(conn)
        conn.outbox.write_now = conn.outbox.write_many = None
        with contextlib.suppress(Exception):
            await handler.close(conn)
        conn.outbox.close()
        if conn.close_code is None:
            await conn.close(1000)
        writer.cancel()
        with contextlib.suppress(BaseException):
            await writer


async def _await_hello(conn: Connection) -> dict[str, Any] | None:
    deadline = time.monotonic() + conn.config.hello_timeout_s
    while True:
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            frame = await asyncio.wait_for(receive(conn), timeout=remaining)
        except TimeoutError:
            conn.send(error_frame("unauthenticated", "no hello within the time allowed"))
            await conn.close(CLOSE_UNAUTHENTICATED, "hello timeout")
            return None
        if frame is None:
            return None
        if frame["type"] == "hello":
            return frame
        conn.send(error_frame("unauthenticated", "send hello first", id=frame.get("id")))


def _send_ping(conn: Connection) -> None:
    if conn.close_code is not None:
        return
    now = conn.config.clock_ms()
    n = conn.pings.ping(float(now))
    conn.send(ping_frame(n, now))


async def _write(conn: Connection) -> None:
    send = conn.websocket.send
    try:
        while True:
            batch = await conn.outbox.take()
            if not batch:
                break
            for payload in batch:
                if isinstance(payload, bytes):
                    await send({"type": "websocket.send", "bytes": payload})
                else:
                    await send({"type": "websocket.send", "text": payload})
    except (OSError, WebSocketDisconnect, RuntimeError):  # the peer went away mid-write
        pass
    except Exception:  # noqa: BLE001 - never a writer that dies and leaves the socket open
        log.exception("session %s: writer failed", conn.id)
        conn.outbox.close()
        conn.request_close(CLOSE_INTERNAL, "internal error")
        return
    if conn.outbox.overflowed:
        await conn.close(CLOSE_SLOW_CONSUMER, "too slow: resume to catch up")


async def _flush_then_close(conn: Connection, writer: asyncio.Task[None], code: int) -> None:
    """Let the writer send what is queued (briefly), then close with ``code``."""
    conn.outbox.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.shield(writer), timeout=2.0)
    await conn.close(code)
