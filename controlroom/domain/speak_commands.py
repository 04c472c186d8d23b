"""The speaking queue's commands: a site asks to speak, the assistant runs the floor.

See ``speaking.py`` for what each one does; ``commands.py`` registers them with
the roles that may issue them.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from .command_base import Command, Ident, Kind, Name, SiteCommand, Text

# --- speaking --------------------------------------------------------------------------------


class RequestSpeak(SiteCommand):
    """``speak.request``: a site registers a speaker."""

    name: ClassVar[str] = "speak.request"
    speaker: Name
    title: Name
    topic: Text
    kind: Kind
    agenda_item: Ident | None = None


class WithdrawSpeak(Command):
    """``speak.withdraw``: a site takes back its own request."""

    name: ClassVar[str] = "speak.withdraw"
    request_id: Ident


class ApproveSpeak(Command):
    """``speak.approve``: put a request in the queue (1 = next; default: the end)."""

    name: ClassVar[str] = "speak.approve"
    request_id: Ident
    position: Annotated[int, Field(ge=1)] | None = None


class RejectSpeak(Command):
    """``speak.reject``: refuse a request, with a reason."""

    name: ClassVar[str] = "speak.reject"
    request_id: Ident
    reason: Text


class MoveSpeak(Command):
    """``speak.move``: change an approved request's place in the queue."""

    name: ClassVar[str] = "speak.move"
    request_id: Ident
    position: Annotated[int, Field(ge=1)]


class GrantFloor(Command):
    """``speak.grant``: give the floor, with a time limit in seconds."""

    name: ClassVar[str] = "speak.grant"
    request_id: Ident
    limit_s: Annotated[int, Field(ge=10, le=7200)] | None = None


class ExtendFloor(Command):
    """``speak.extend``: add seconds to the current speaker's limit."""

    name: ClassVar[str] = "speak.extend"
    request_id: Ident
    add_s: Annotated[int, Field(ge=1, le=3600)]


class EndFloor(Command):
    """``speak.end``: the speaker leaves the floor."""

    name: ClassVar[str] = "speak.end"
    request_id: Ident


class AddSpeaker(Command):
    """``speak.add``: the assistant registers and approves a speaker for a site."""

    name: ClassVar[str] = "speak.add"
    site: Ident
    speaker: Name
    title: Name
    topic: Text
    kind: Kind
