"""What a session does with each frame it receives (the reading half of ``connection``).

A frame comes either through ASGI (``read``, the session's reader loop, awaiting
``receive``) or straight from the protocol as it parses it (``read_direct``, on the
direct wire: a pong or a command is taken there and no task wakes). Both share the
rules: a pong is answered at once, a command is rate-limited and queued for the
session's one command worker, a second hello is refused, anything else goes to the
application's handler; an exception becomes an ``error`` frame, never the end of
the session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from signaling.errors import CLOSE_TOO_BIG, SignalError
from signaling.frames import refusal_frame

if TYPE_CHECKING:
    from signaling.connection import Connection, SessionHandler

log = logging.getLogger("signaling")


async def receive(conn: Connection) -> dict[str, Any] | None:
    """Next decoded frame; None when the peer is gone. Bad frames are answered here."""
    while True:
        message = await conn.websocket.receive()
        if message["type"] == "websocket.disconnect":
            conn.disconnect_code = message.get("code")
            return None
        payload = message.get("bytes")
        if payload is None:
            payload = message.get("text")
        if payload is None:
            continue
        if len(payload) > conn.config.max_frame_bytes:
            await conn.close(CLOSE_TOO_BIG, "frame too large")
            return None
        try:
            return conn.codec.decode(payload)
        except SignalError as exc:
            conn.send(refusal_frame(exc))


def read_direct(conn: Connection, handler: SessionHandler, message: bytes | str) -> bool:
    """A message as the protocol parsed it: a pong or a command is taken here (no ASGI
    round: uvicorn's queue, Starlette's receive, the reader's wake-up), anything else is
    left (False) to the reader. The protocol offers a message here only when nothing
    waits in its queue, so the reader has taken every earlier one."""
    if conn.close_code is not None or len(message) > conn.config.max_frame_bytes:
        return False
    try:
        frame = conn.codec.decode(message)
    except SignalError:
        return False  # the reader decodes it again and answers
    kind = frame["type"]
    if kind == "pong":
        _pong(conn, handler, frame)
    elif kind == "cmd":
        try:
            _take_command(conn, handler, frame)
        except SignalError as exc:
            conn.send(refusal_frame(exc, frame.get("id")))
    else:
        return False
    return True


def _take_command(conn: Connection, handler: SessionHandler, frame: dict[str, Any]) -> None:
    """Queue a command for the session's worker (started when none runs), or refuse it."""
    if not conn.bucket.allow(time.monotonic()):
        raise SignalError("rate_limited", "too many commands; slow down")
    try:
        conn.commands.put_nowait(frame)
    except asyncio.QueueFull:
        raise SignalError("rate_limited", "too many commands waiting") from None
    if conn._worker is None or conn._worker.done():
        conn._worker = asyncio.create_task(_run_commands(conn, handler))


def _pong(conn: Connection, handler: SessionHandler, frame: dict[str, Any]) -> None:
    rtt = conn.pings.pong(frame.get("n"), float(conn.config.clock_ms()))
    try:
        handler.pong(conn, rtt, frame)
    except Exception as exc:  # noqa: BLE001 - one bad frame never ends the session
        if not isinstance(exc, SignalError):
            log.exception("session %s: pong failed", conn.id)
        conn.send(refusal_frame(exc, frame.get("id")))


async def read(conn: Connection, handler: SessionHandler) -> None:
    while conn.close_code is None:
        frame = await receive(conn)
        if frame is None:
            return
        kind = frame["type"]
        try:
            if kind == "pong":
                _pong(conn, handler, frame)
            elif kind == "cmd":
                _take_command(conn, handler, frame)
            elif kind == "hello":
                raise SignalError("bad_frame", "this session has already said hello")
            else:
                await handler.message(conn, frame)
        except Exception as exc:  # noqa: BLE001 - one bad frame never ends the session
            if not isinstance(exc, SignalError):
                log.exception("session %s: frame %r failed", conn.id, kind)
            conn.send(refusal_frame(exc, frame.get("id")))


async def _run_commands(conn: Connection, handler: SessionHandler) -> None:
    """Commands of one session, in order, off the reader: pongs never wait on a commit.

    It ends when the queue is empty; the reader starts a new one for the next command
    (no await between the last ``empty`` check and the end, so none is left behind).
    """
    while not conn.commands.empty():
        frame = conn.commands.get_nowait()
        try:
            conn.send(await handler.command(conn, frame))
        except Exception as exc:  # noqa: BLE001 - one bad command never ends the session
            if not isinstance(exc, SignalError):
                log.exception("session %s: command failed", conn.id)
            conn.send(refusal_frame(exc, frame.get("id")))
