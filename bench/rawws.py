"""A lean WebSocket client for the load generator: frames parsed in ``data_received``.

Against the hub at 3,000 commands/s, a quarter to a third of the generator's core
went to ``websockets``' client parsing (its sans-I/O reader is a generator that
yields per header field), so the generator, not the server, set the ceiling of a
ramp (docs/benchmarks.md). This client does only what the generator needs:

- the opening handshake (RFC 6455 §4.1, the accept key checked, one subprotocol);
- server frames parsed straight from the bytes received, each message stamped with
  ``time.perf_counter()`` as its bytes arrived (a message's latency then does not
  include the generator's own queue behind earlier messages);
- client frames masked with an all-zero key: RFC 6455 requires a key, not a random
  one, for the protocol to work; the randomness defends a browser's proxies, which a
  loopback benchmark has none of, and the XOR of every payload would be the
  generator's cost for nothing;
- pings answered, fragments joined, close echoed; flow control both ways: reading
  pauses while ``max_queue`` messages wait unread (so a stalled reader stalls the
  TCP stream, as the slow-consumer scenario needs), and ``send`` waits while the
  transport's buffer is full.

The same methods as ``websockets``' ``ClientConnection`` that the generator calls
(``recv``, ``send``, ``close``, ``close_code``, ``transport``), plus ``recv_timed``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import time
from collections import deque
from typing import Any, cast
from urllib.parse import urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
ZERO_MASK = b"\x00\x00\x00\x00"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
MAX_HANDSHAKE = 16384


class ConnectionClosed(Exception):
    """The connection ended; ``code`` is the peer's close code (1006: no close frame)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"closed {code}")
        self.code = code


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A final, masked (all-zero key) client frame."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return head + ZERO_MASK + payload


def accept_key(key: bytes) -> bytes:
    """The ``Sec-WebSocket-Accept`` a server must answer to ``key``."""
    return base64.b64encode(hashlib.sha1(key + GUID).digest())  # noqa: S324 - RFC 6455


class RawConnection(asyncio.Protocol):
    """One client WebSocket connection; see the module's docstring."""

    def __init__(self, key: bytes, max_queue: int = 16, max_size: int = 2**24) -> None:
        self.key = key
        self.max_queue = max_queue
        self.max_size = max_size
        self.transport: asyncio.Transport | None = None
        self.subprotocol: str | None = None
        self.close_code: int | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()
        self._messages: deque[tuple[float, bytes | str]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._buffer = b""
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0
        self._reading_paused = False
        self._close_sent = False

    # -- asyncio.Protocol --------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:  # noqa: D102
        now = time.perf_counter()
        buf = self._buffer + data if self._buffer else data
        if not self.opened.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HANDSHAKE:
                    self._fail(ConnectionError("handshake response too long"))
                self._buffer = buf
                return
            if not self._handshake(buf[:end].decode("latin-1")):
                return
            buf = buf[end + 4 :]
        pos, n = 0, len(buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if n - pos < 4:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if n - pos < 10:
                    break
                length, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if b1 & 0x80 or length > self.max_size:  # a server never masks
                self._protocol_error(1002 if b1 & 0x80 else 1009)
                return
            end = pos + head + length
            if end > n:
                break
            self._frame(b0, buf[pos + head : end], now)
            pos = end
        self._buffer = buf[pos:] if pos < n else b""

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: D102
        if self.close_code is None:
            self.close_code = 1006
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"connection lost in handshake: {exc!r}"))
        if not self.lost.done():
            self.lost.set_result(None)
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:  # noqa: D102
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:  # noqa: D102
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    # -- the connection ----------------------------------------------------------

    def _handshake(self, head: str) -> bool:
        lines = head.split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = lines[0].split(" ", 2)
        if len(status) < 2 or status[1] != "101":
            self._fail(ConnectionError(f"upgrade refused: {lines[0]!r}"))
            return False
        if headers.get("sec-websocket-accept", "").encode() != accept_key(self.key):
            self._fail(ConnectionError("bad Sec-WebSocket-Accept"))
            return False
        self.subprotocol = headers.get("sec-websocket-protocol")
        self.opened.set_result(None)
        return True

    def _fail(self, exc: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def _protocol_error(self, code: int) -> None:
        self.close_code = code
        self._send_close(code)
        if self.transport is not None:
            self.transport.close()

    def _frame(self, b0: int, payload: bytes, now: float) -> None:
        opcode = b0 & 0x0F
        if opcode in (OP_TEXT, OP_BINARY):
            if b0 & 0x80:
                self._deliver(opcode, payload, now)
            else:
                self._fragment_opcode, self._fragments = opcode, [payload]
        elif opcode == OP_CONT:
            self._fragments.append(payload)
            if b0 & 0x80:
                whole, self._fragments = b"".join(self._fragments), []
                self._deliver(self._fragment_opcode, whole, now)
        elif opcode == OP_PING:
            self._write(client_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._send_close(self.close_code if len(payload) >= 2 else 1000)
            if self.transport is not None:
                self.transport.close()
            self._wake()

    def _deliver(self, opcode: int, payload: bytes, now: float) -> None:
        message: bytes | str = payload.decode() if opcode == OP_TEXT else payload
        self._messages.append((now, message))
        self._wake()
        if len(self._messages) >= self.max_queue and not self._reading_paused:
            self._reading_paused = True
            if self.transport is not None:
                self.transport.pause_reading()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _send_close(self, code: int) -> None:
        if not self._close_sent:
            self._close_sent = True
            self._write(client_frame(OP_CLOSE, code.to_bytes(2, "big")))

    async def recv_timed(self) -> tuple[float, bytes | str]:
        """The next message and when its bytes arrived; ``ConnectionClosed`` at the end."""
        while not self._messages:
            if self.close_code is not None:
                raise ConnectionClosed(self.close_code)
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        item = self._messages.popleft()
        if self._reading_paused and len(self._messages) <= self.max_queue // 4:
            self._reading_paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        return item

    async def recv(self) -> bytes | str:
        """The next message."""
        return (await self.recv_timed())[1]

    async def send(self, message: bytes | str) -> None:
        """Send one message (``str`` as text); waits while the transport's buffer is full."""
        if self.close_code is not None or self._close_sent:
            raise ConnectionClosed(self.close_code or 1006)
        if isinstance(message, str):
            self._write(client_frame(OP_TEXT, message.encode()))
        else:
            self._write(client_frame(OP_BINARY, message))
        if self._drained is not None:
            await self._drained

    async def close(self, timeout: float = 5.0) -> None:
        """The closing handshake, then the TCP close (aborted after ``timeout``)."""
        self._send_close(1000)
        try:
            await asyncio.wait_for(asyncio.shield(self.lost), timeout)
        except TimeoutError:
            if self.transport is not None:
                self.transport.abort()


async def connect(
    url: str,
    subprotocol: str | None = None,
    *,
    sock: socket.socket | None = None,
    max_queue: int = 16,
    max_size: int = 2**24,
    open_timeout: float = 30.0,
) -> RawConnection:
    """Open ``url`` (``ws://host:port/path?query``), over ``sock`` if given."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    key = base64.b64encode(os.urandom(16))
    loop = asyncio.get_running_loop()
    where: dict[str, Any] = {"sock": sock} if sock is not None else {"host": host, "port": port}
    _, conn = await loop.create_connection(lambda: RawConnection(key, max_queue, max_size), **where)
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        + (f"Sec-WebSocket-Protocol: {subprotocol}\r\n" if subprotocol else "")
        + "\r\n"
    )
    assert conn.transport is not None
    conn.transport.write(request.encode("latin-1"))
    try:
        await asyncio.wait_for(asyncio.shield(conn.opened), open_timeout)
    except BaseException:
        conn.transport.abort()
        raise
    return conn
