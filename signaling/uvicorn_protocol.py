"""uvicorn's sans-I/O WebSocket protocol, with a close that cannot hang.

Why: uvicorn's ``websocket.close`` first waits until the transport is writable, and
after the close frame it calls ``transport.close()``, which waits for the write
buffer to drain. A client that has stopped reading never drains it, so the socket,
its buffers and the session stay allocated for ever. Here the close frame is
written without waiting, and if the peer has not finished the closing handshake
within ``close_grace_s`` the transport is aborted, which frees it at once.

It also offers the edge the direct wire (``signaling.direct``): frames written
into the transport without an ASGI round, and messages seen as they are parsed.

Pass this class as uvicorn's ``ws`` setting (``uvicorn.Config(app, ws=...)``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.frames import Frame
from websockets.http11 import Request
from websockets.protocol import OPEN, SERVER

from signaling.direct import EXTENSION
from signaling.wsframe import FIN_BINARY, FIN_TEXT, frame_header

log = logging.getLogger("signaling")


class PromptCloseWebSocketProtocol(WebSocketsSansIOProtocol):
    """Closes without waiting for a stalled reader, and aborts it after a grace period."""

    close_grace_s = 2.0
    #: The direct wire's reader (see ``signaling.direct``); set by the edge.
    on_message: Callable[[bytes | str], bool] | None = None

    def handle_connect(self, event: Request) -> None:
        """Accept the handshake as uvicorn does, and offer the direct wire in the scope."""
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # the app's task has been created, not yet run
            scope["extensions"][EXTENSION] = self

    def write(self, payload: bytes | str) -> bool:
        """Write one message now if the socket is open and the transport not backed up."""
        return self.write_many((payload,))

    def write_many(self, payloads: Sequence[bytes | str]) -> bool:
        """Write messages in one transport write, on the same conditions as :meth:`write`."""
        if (
            not self.handshake_complete
            or self.initial_response is not None
            or self.close_sent
            or self.disconnected
            or not self.writable.is_set()
            or self.transport.is_closing()
        ):
            return False
        conn = self.conn
        if not conn.extensions and conn.side is SERVER and conn.state is OPEN:
            if conn.expect_continuation_frame:
                return False  # never: only whole messages are sent here
            # What websockets has queued (a pong, say) goes first, then our frames.
            parts = conn.data_to_send()
            for payload in payloads:
                if isinstance(payload, str):
                    payload = payload.encode()
                    parts.append(frame_header(FIN_TEXT, len(payload)))
                else:
                    parts.append(frame_header(FIN_BINARY, len(payload)))
                parts.append(payload)
            self.transport.write(b"".join(parts))
            return True
        try:  # an extension negotiated: websockets frames each message
            for payload in payloads:
                if isinstance(payload, bytes):
                    conn.send_binary(payload)
                else:
                    conn.send_text(payload.encode())
        except InvalidState:  # only ever on the first: the state does not change between
            return False
        self.transport.write(b"".join(conn.data_to_send()))
        return True

    def handle_bytes(self, event: Frame) -> None:
        """A binary message: to the direct reader first when nothing waits before it."""
        if not (event.fin and self._direct(bytes(event.data))):
            super().handle_bytes(event)

    def handle_text(self, event: Frame) -> None:
        """A text message: to the direct reader first when nothing waits before it."""
        if not event.fin:
            super().handle_text(event)
            return
        try:
            text = bytes(event.data).decode()
        except UnicodeDecodeError:
            super().handle_text(event)  # uvicorn closes with 1007
            return
        if not self._direct(text):
            super().handle_text(event)

    def _direct(self, message: bytes | str) -> bool:
        hook = self.on_message
        if hook is None or self.close_sent or not self.queue.empty():
            return False
        try:
            return hook(message)
        except Exception:  # noqa: BLE001 - never an exception inside data_received
            log.exception("direct reader failed; the message goes the ASGI way")
            return False

    async def send(self, message: Any) -> None:
        """Send an ASGI message; a close after the handshake never waits for the buffer."""
        if (
            message.get("type") == "websocket.close"
            and self.handshake_complete
            and self.initial_response is None
            and not self.close_sent
            and not self.disconnected
        ):
            if self.transport.is_closing():
                return
            code = message.get("code", 1000)
            reason = message.get("reason", "") or ""
            self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
            self.conn.send_close(code, reason)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
            if self.read_paused:
                self.read_paused = False
                self.transport.resume_reading()
            self.close_timer = self.loop.call_later(self.close_grace_s, self.transport.abort)
            return
        await super().send(message)
