"""The one error mapper: every exception a command can meet becomes a wire error.

Domain refusals keep their code, message and field. A store that cannot write
becomes ``internal`` with ``retry_after_s`` [ext] (HTTP 503 with ``Retry-After``):
nothing was recorded, and the same command may be sent again. Anything else is
``internal`` with no detail on the wire; the stack trace goes to the log.
"""

from __future__ import annotations

import logging
from typing import Any

from controlroom.domain.errors import DomainError
from controlroom.store.base import StoreError
from signaling.errors import SignalError, error_frame
from signaling.frames import refusal_frame

log = logging.getLogger("controlroom")

HTTP_STATUS = {
    "bad_frame": 400,
    "unknown_command": 400,
    "invalid_args": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "too_large": 413,
    "internal": 500,
}


#: What a refusal of a log that cannot write tells the client to wait before retrying.
RETRY_AFTER_S = 1


class Unavailable(Exception):
    """The hub cannot take commands right now (the log is down or being reloaded)."""


class UnsafeEvent(ValueError):
    """A decided event holds NaN, ±Infinity or invalid text: refused, nothing is stored."""


def error_answer(exc: BaseException, command_id: Any = None) -> dict[str, Any]:
    """Map an exception raised while handling a command to an ``error`` frame."""
    if isinstance(exc, DomainError):
        frame = error_frame(exc.code, exc.message, id=command_id, field=exc.field)
        if exc.text_code is not None:
            frame["text_code"] = exc.text_code
        return frame
    if isinstance(exc, SignalError):
        return refusal_frame(exc, command_id)
    if isinstance(exc, StoreError | Unavailable):
        log.warning("command %r refused: %s", command_id, exc)
        frame = error_frame(
            "internal",
            "the event log is unavailable; nothing was recorded, try again",
            id=command_id,
        )
        frame["retry_after_s"] = RETRY_AFTER_S  # [ext] nothing was recorded: send it again
        return frame
    log.error("command %r failed", command_id, exc_info=exc)
    return error_frame("internal", "internal error", id=command_id)


def http_status(answer: dict[str, Any]) -> int:
    """The HTTP status of an answer (200 for an ack; 503 when the log is down)."""
    if answer.get("type") == "ack":
        return 200
    if answer.get("retry_after_s") is not None:
        return 503
    return HTTP_STATUS.get(str(answer.get("code")), 400)
