"""uvicorn's sans-I/O WebSocket protocol, with a close that cannot hang.

Why: uvicorn's ``websocket.close`` first waits until the transport is writable, and
after the close frame it calls ``transport.close()``, which waits for the write
buffer to drain. A client that has stopped reading never drains it, so the socket,
its buffers and the session stay allocated for ever. Here the close frame is
written without waiting, and if the peer has not finished the closing handshake
within ``close_grace_s`` the transport is aborted, which frees it at once.

Pass this class as uvicorn's ``ws`` setting (``uvicorn.Config(app, ws=...)``).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class PromptCloseWebSocketProtocol(WebSocketsSansIOProtocol):
    """Closes without waiting for a stalled reader, and aborts it after a grace period."""

    close_grace_s = 2.0

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
