"""The domain's refusals: one tree, each carrying the protocol's error code.

::

    DomainError (code "internal")
     ├── InvalidArgs      "invalid_args"     arguments fail validation; ``field`` names them
     ├── UnknownCommand   "unknown_command"  no such command name
     ├── Forbidden        "forbidden"        the actor's role (or site) may not do this
     ├── NotFound         "not_found"        no such site, fault, request or agenda item
     │                                       (also for another site's fault or request, so
     │                                       that a site never learns they exist)
     └── Conflict         "conflict"         not allowed in the current state

The ``message`` is an English sentence for logs and API clients. A refusal a
person may meet also carries ``text_code``, the same thing as a code with its
parameters (``{"code": "floor_taken", "names": "Huế"}``), which each console renders
in its reader's language (``refuse.*`` in ``web/strings``). Nothing here does I/O.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal raised by ``parse_command`` and ``decide``."""

    code: str = "internal"

    def __init__(
        self, message: str, field: str | None = None, *, text: str | None = None, **params: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.text_code: dict[str, Any] | None = {"code": text, **params} if text else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r})"

    def to_wire(self) -> dict[str, Any]:
        """The ``code``, ``message``, ``field`` (and ``text_code``) of an ``error`` frame."""
        wire: dict[str, Any] = {"code": self.code, "message": self.message, "field": self.field}
        if self.text_code is not None:
            wire["text_code"] = self.text_code
        return wire


class InvalidArgs(DomainError):
    """The arguments do not validate; ``field`` is the dotted path (``args.speaker``)."""

    code = "invalid_args"


class UnknownCommand(DomainError):
    """No command of that name exists in protocol version 1."""

    code = "unknown_command"


class Forbidden(DomainError):
    """The actor's role may not issue the command, or a site acts for another site."""

    code = "forbidden"


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to this actor)."""

    code = "not_found"


class Conflict(DomainError):
    """The command is not allowed in the current state."""

    code = "conflict"
