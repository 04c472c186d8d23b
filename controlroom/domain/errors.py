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

Every message is a sentence a person can read on a console. Nothing here does I/O.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal raised by ``parse_command`` and ``decide``."""

    code: str = "internal"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r})"

    def to_wire(self) -> dict[str, str | None]:
        """The ``code``, ``message`` and ``field`` of a protocol ``error`` frame."""
        return {"code": self.code, "message": self.message, "field": self.field}


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
