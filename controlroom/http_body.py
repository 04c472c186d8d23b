"""An HTTP request's edge: its body read within a size and a time, refusals as error frames.

Every route that takes a body reads it here, so the limits (413 over the size, 408
too slow, 400 not a JSON object, 422 a value that is not finite or not valid
Unicode) are the same on every route and each refusal is the WebSocket's error frame.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from signaling.errors import error_frame
from signaling.values import unsafe_path

MAX_BODY_BYTES = 65536
#: A request body must arrive within this long once its head has (a slow sender is 408).
BODY_TIMEOUT_S = 10.0


def error(
    code: str, message: str, status: int, field: str | None = None, **extra: Any
) -> JSONResponse:
    """An ``error`` frame as an HTTP response (``extra`` fields added to it)."""
    return JSONResponse({**error_frame(code, message, field=field), **extra}, status_code=status)


def client_address(request: Request) -> str:
    """The peer's address as the log and the refusal counters name it."""
    return request.client.host if request.client else "?"


class BadBody(Exception):
    """A request body refused before it reaches a handler; carries the response."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


async def read_body(request: Request, limit: int, timeout_s: float = BODY_TIMEOUT_S) -> bytes:
    """The request's body, read within ``limit`` bytes and ``timeout_s`` (:class:`BadBody`).

    413 over the limit (by Content-Length or as it streams), 408 too slow.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadBody(error("too_large", f"body over {limit} bytes", 413))
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BadBody(error("too_large", f"body over {limit} bytes", 413))
                chunks.append(chunk)
    except TimeoutError:
        raise BadBody(error("bad_frame", "the body came too slowly", 408)) from None
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request's JSON object, read within ``limit`` bytes and ``BODY_TIMEOUT_S``.

    Refusals (raised as :class:`BadBody`): 413 over the limit (by Content-Length or
    as it streams), 408 too slow, 400 not a JSON object (deep nesting included), 422
    a number that is not finite or text that is not valid Unicode, with its field.
    """
    raw = await read_body(request, limit)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadBody(error("bad_frame", "the body must be JSON", 400)) from None
    if not isinstance(body, dict):
        raise BadBody(error("bad_frame", "the body must be a JSON object", 400))
    path = unsafe_path(body)
    if path is not None:
        raise BadBody(
            error(
                "invalid_args",
                "a number that is not finite or out of range, or text that is not valid Unicode",
                422,
                path or None,
            )
        )
    return body
