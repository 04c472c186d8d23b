"""The direct wire: frames written and read by the WebSocket protocol itself.

Why: through ASGI, every frame out wakes the session's writer task and walks
Starlette's and the server's ``send``; every frame in is queued by the server,
wakes the reader task and walks ``receive``. For the frames of a heartbeat (a ping
out, a pong in, for every site every two seconds) that walk is most of a session's
cost. A server protocol that offers this extension in the ASGI scope lets the edge
write a frame straight into the transport when nothing is waiting before it, and
see each message as it is parsed, so a pong is handled without waking anyone.

Both are optional and both fall back to plain ASGI: ``write`` refuses (False)
whenever the socket is not open for writing or the transport is above its high
water mark, and ``on_message`` only ever sees a message when no earlier one is
still waiting for the application, so the order of what the session reads is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

#: The key of the extension in the ASGI scope's ``extensions``.
EXTENSION = "signaling.direct"


class DirectWire(Protocol):
    """What a server protocol offers under :data:`EXTENSION`."""

    #: Called with each complete message (bytes, or str for text) while nothing is
    #: queued for the application; True means it was handled and is not queued.
    on_message: Callable[[bytes | str], bool] | None

    def write(self, payload: bytes | str) -> bool:
        """Frame and write one message now; False (nothing written) when it cannot."""
        ...

    def write_many(self, payloads: Sequence[bytes | str]) -> bool:
        """Frame several messages and write them in one go (one system call); False
        (nothing written) when it cannot."""
        ...


def direct_wire(scope: Mapping[str, Any]) -> DirectWire | None:
    """The direct wire the server offers for this connection, if any."""
    wire: DirectWire | None = (scope.get("extensions") or {}).get(EXTENSION)
    return wire
