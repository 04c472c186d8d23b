"""uvicorn's h11 HTTP protocol, with the limits it lacks against hostile clients.

Why: uvicorn starts no timer before a connection's first request, so an idle TCP
connection, or one that sends its header a byte at a time (slowloris), is held for
ever; and its httptools parser accepts headers of any size. Here, on h11 (whose
``max_incomplete_event_size`` bounds a request head, 16 KiB by default):

- a request head must be complete within ``header_timeout_s`` of the connection
  opening or of the previous response, else the connection is closed;
- one client address may hold at most ``max_per_client`` HTTP connections at once
  (a WebSocket no longer counts once upgraded: its hello timeout bounds it), except
  the ``trusted`` addresses (a reverse proxy on loopback, which limits clients itself).

Body size and body read time are the application's to bound, per route. Pass
``guarded_h11(...)`` as uvicorn's ``http`` setting.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass
class HttpLimits:
    """What one server allows a client before the application sees a request."""

    header_timeout_s: float = 10.0
    max_per_client: int = 64
    trusted: frozenset[str] = field(default_factory=lambda: frozenset({"127.0.0.1", "::1"}))
    #: Connections open now per client address (shared by every connection of the server).
    open: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    timed_out: int = 0


def guarded_h11(limits: HttpLimits) -> type[H11Protocol]:
    """An H11Protocol class enforcing ``limits`` (one class per server)."""

    class GuardedH11Protocol(H11Protocol):
        """H11Protocol with a header deadline and a cap of connections per address."""

        _counted: str | None = None
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            host = self.client[0] if self.client else None
            if host is not None and host not in limits.trusted:
                if limits.open[host] >= limits.max_per_client:
                    limits.refused += 1
                    transport.abort()
                    return
                limits.open[host] += 1
                self._counted = host
            self._arm()

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(limits.header_timeout_s, self._expire)

        def _expire(self) -> None:
            self._deadline = None
            transport = self.transport
            if transport.is_closing() or transport.get_protocol() is not self:
                return  # closed already, or upgraded to a WebSocket
            if self.cycle is None or self.cycle.response_complete:
                limits.timed_out += 1  # no complete request head in time
                transport.close()

        def _release(self) -> None:
            if self._counted is not None:
                limits.open[self._counted] -= 1
                if limits.open[self._counted] <= 0:
                    del limits.open[self._counted]
                self._counted = None

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection gets the same deadline

        def handle_websocket_upgrade(self, event: Any) -> None:
            self._release()
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            super().handle_websocket_upgrade(event)

        def connection_lost(self, exc: Exception | None) -> None:
            self._release()
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            super().connection_lost(exc)

    return GuardedH11Protocol
