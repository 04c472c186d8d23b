"""The edge's own frames: ``ping`` and ``error`` (the close is a WebSocket close code).

Everything else a session is sent is built by the application that uses the edge.
"""

from __future__ import annotations

import logging
from typing import Any

from .errors import SignalError, error_frame

log = logging.getLogger("signaling")

__all__ = ["error_frame", "ping_frame", "refusal_frame"]


def ping_frame(n: int, at: int) -> dict[str, Any]:
    """The heartbeat: the client answers ``pong`` with the same ``n``."""
    return {"type": "ping", "n": n, "at": at}


def refusal_frame(exc: BaseException, id: Any = None) -> dict[str, Any]:
    """The one mapping of the edge from an exception to what the client is told.

    A :class:`SignalError` is told as it is (its code, sentence and field); anything
    else is ``internal`` with no detail on the wire (the caller logs it).
    """
    if isinstance(exc, SignalError):
        return error_frame(
            exc.code, exc.message, id=id if id is not None else exc.id, field=exc.field
        )
    return error_frame("internal", "internal error", id=id)
