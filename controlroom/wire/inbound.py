"""Inbound frames checked once, at the edge, the same way over the WebSocket and HTTP.

- ``parse_cmd``: a command's envelope (``{id, name, args}``): the id is a non-empty
  string or integer of at most 128 characters; ``name`` and ``args`` are checked by
  the domain (``parse_command``), which names the field it refuses.
- ``parse_hello``: ``resume_after`` an integer or null, ``caps`` a short list of
  short strings (the token and the conference are the authenticator's to judge).
- ``parse_rtc_answer``, ``parse_rtc_stats``: a test call's SDP answer and the figures
  the site measured (finite numbers and booleans only).

A refusal is :class:`BadEnvelope` with the wire code and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signaling.values import finite_number

MAX_COMMAND_ID = 128
MAX_CAPS = 16
#: An SDP answer of a browser or aiortc is 2-6 KB; this bounds what is parsed.
MAX_SDP = 60_000
MAX_STATS_KEYS = 64
#: The largest magnitude a site may report for a measurement (packets, dB, fps, ms).
STATS_LIMIT = 1e9


class BadEnvelope(ValueError):
    """A frame refused before its content is looked at: ``code`` and ``field`` for the wire."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class CommandEnvelope:
    """A command as it arrived: its id, and the name and args the domain will check."""

    id: str | int
    name: Any
    args: Any


def parse_cmd(frame: dict[str, Any]) -> CommandEnvelope:
    """The envelope of a ``cmd`` frame or a ``POST /commands`` body, or :class:`BadEnvelope`."""
    command_id = frame.get("id")
    if not isinstance(command_id, str | int) or isinstance(command_id, bool) or not str(command_id):
        raise BadEnvelope("bad_frame", "a command needs an id (string or integer)", "id")
    if len(str(command_id)) > MAX_COMMAND_ID:
        raise BadEnvelope(
            "invalid_args", f"command id longer than {MAX_COMMAND_ID} characters", "id"
        )
    return CommandEnvelope(command_id, frame.get("name"), frame.get("args", {}))


@dataclass(frozen=True, slots=True)
class Hello:
    """A ``hello`` as the session rules read it."""

    resume_after: int | None
    caps: frozenset[str]


def parse_hello(frame: dict[str, Any]) -> Hello:
    """The fields of a ``hello``, or :class:`BadEnvelope` (``bad_frame``, its field)."""
    resume_after = frame.get("resume_after")
    if resume_after is not None and (
        not isinstance(resume_after, int) or isinstance(resume_after, bool)
    ):
        raise BadEnvelope("bad_frame", "resume_after must be an integer or null", "resume_after")
    caps = frame.get("caps")
    said = (
        frozenset(c for c in caps[:MAX_CAPS] if isinstance(c, str) and len(c) < 32)
        if isinstance(caps, list)
        else frozenset()
    )
    return Hello(resume_after, said)


def parse_rtc_answer(frame: dict[str, Any]) -> str:
    """The SDP of an ``rtc.answer``."""
    sdp = frame.get("sdp")
    if not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP:
        raise BadEnvelope("invalid_args", "rtc.answer needs the answer's sdp", "sdp")
    return sdp


def parse_rtc_stats(frame: dict[str, Any]) -> dict[str, Any]:
    """The figures of an ``rtc.stats``: finite numbers and booleans, short keys."""
    stats = frame.get("stats")
    if not isinstance(stats, dict):
        raise BadEnvelope("invalid_args", "rtc.stats needs a stats map", "stats")
    clean: dict[str, Any] = {}
    for key, value in list(stats.items())[:MAX_STATS_KEYS]:
        if not isinstance(key, str) or len(key) > 40:
            continue
        if isinstance(value, bool):
            clean[key] = value
            continue
        number = finite_number(value, -STATS_LIMIT, STATS_LIMIT)
        if number is None and isinstance(value, int | float):
            raise BadEnvelope("invalid_args", f"{key} must be a finite number", f"stats.{key}")
        if number is not None:
            clean[key] = value
    return clean
