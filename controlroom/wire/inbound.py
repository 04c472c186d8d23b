"""Inbound frames checked once, the same way over the WebSocket and over HTTP.

``parse_cmd`` checks a command's envelope (``{id, name, args}``): the id is a
non-empty string or integer of at most 128 characters; ``name`` and ``args`` are
checked by the domain (``parse_command``), which names the field it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_COMMAND_ID = 128


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
