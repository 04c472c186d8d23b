"""The one error type of the edge, and the close codes it uses.

``SignalError`` carries a wire error ``code`` (PROTOCOL.md's list), a sentence for a
person, an optional ``field`` path, and, when the connection must end, a WebSocket
close code. Anything else raised while handling a frame is mapped to ``internal``
by the connection loop, with the stack trace in the log and no detail on the wire.
"""

from __future__ import annotations

from typing import Any

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_SERVICE_RESTART = 1012
CLOSE_UNAUTHENTICATED = 4001
CLOSE_FORBIDDEN_ORIGIN = 4003
CLOSE_SLOW_CONSUMER = 4008


class SignalError(Exception):
    """A refusal that is sent to the client as an ``error`` frame."""

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        close_code: int | None = None,
        id: Any = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.close_code = close_code
        #: The command id the refusal answers, when the frame had a valid one.
        self.id = id


def error_frame(
    code: str, message: str, *, id: Any = None, field: str | None = None
) -> dict[str, Any]:
    """Build an ``error`` frame; ``id`` is the command id it answers, if any."""
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message, "field": field}
    if id is not None:
        frame["id"] = id
    return frame
