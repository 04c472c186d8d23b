"""Commands by which the centre and the sites talk: announcements, threads, cues.

- ``announce.send`` / ``announce.read``: see ``announcements.py``.
- ``msg.send {site?, text, photo?}`` (site, operator): a message in the thread of
  one site; ``photo`` is the id ``POST /photos`` answered (32 hex digits).
- ``msg.read {site?, up_to}`` (site, operator): the reader's side has read the
  thread up to that message.
- ``cue.answer {site?, cue_id, ready}`` (site): "Sẵn sàng" (true) or "Chưa sẵn sàng".
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from .command_base import Command, Ident, OptName, OptText, SiteCommand

PhotoId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]

# --- announcements ---------------------------------------------------------------------------


class SendAnnouncement(Command):
    """``announce.send``: the centre tells every bridge site, a region's, or a list."""

    name: ClassVar[str] = "announce.send"
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    sites: Annotated[list[Ident], Field(max_length=5000)] | None = None
    region: OptName = ""


class ReadAnnouncement(SiteCommand):
    """``announce.read``: the site's technician has read an announcement."""

    name: ClassVar[str] = "announce.read"
    announcement_id: Ident


# --- threads ---------------------------------------------------------------------------------


class SendMessage(SiteCommand):
    """``msg.send``: a message (text, a photo, or both) in one site's thread."""

    name: ClassVar[str] = "msg.send"
    text: OptText = ""
    photo: PhotoId | None = None


class ReadMessages(SiteCommand):
    """``msg.read``: the reader's side has read the site's thread up to ``up_to``."""

    name: ClassVar[str] = "msg.read"
    up_to: Ident


# --- cues ------------------------------------------------------------------------------------


class AnswerCue(SiteCommand):
    """``cue.answer``: the site answers "you are next": ready or not yet."""

    name: ClassVar[str] = "cue.answer"
    cue_id: Ident
    ready: bool
