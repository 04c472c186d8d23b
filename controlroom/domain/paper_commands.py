"""Commands of the conference's paperwork: the minutes, the conclusions and their follow-up.

- ``minutes.note {text, item?}`` and ``minutes.edit {note_id, text}`` (admin,
  operator, assistant): see ``minutes.py``.

- ``conclusion.add {text, sites, deadline, item?}`` (admin, operator, assistant).
- ``conclusion.report {conclusion_id, site?, text, percent, photo?, done}`` (site,
  operator, assistant).
- ``conclusion.accept {conclusion_id, site}`` and ``conclusion.return {conclusion_id,
  site, note}`` (admin, operator, assistant).

See ``followup.py`` for what the conclusions' commands do.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from .command_base import Command, Ident, OptText, SiteCommand, Text
from .talk_commands import PhotoId

# 2000-01-01 to 2100-01-01 in Unix ms: a deadline is a date people can read.
Deadline = Annotated[int, Field(ge=946_684_800_000, le=4_102_444_800_000)]


class AddConclusion(Command):
    """``conclusion.add``: a conclusion, the sites responsible for it, its deadline."""

    name: ClassVar[str] = "conclusion.add"
    text: Text
    sites: Annotated[list[Ident], Field(min_length=1, max_length=5000)]
    deadline: Deadline
    item: Ident | None = None


class ReportProgress(SiteCommand):
    """``conclusion.report``: how far a responsible site has got, or that it is done."""

    name: ClassVar[str] = "conclusion.report"
    conclusion_id: Ident
    text: OptText = ""
    percent: Annotated[int, Field(ge=0, le=100)] = 0
    photo: PhotoId | None = None
    done: bool = False


class AcceptPart(Command):
    """``conclusion.accept``: the centre accepts a site's part reported done."""

    name: ClassVar[str] = "conclusion.accept"
    conclusion_id: Ident
    site: Ident


class ReturnPart(Command):
    """``conclusion.return``: the centre sends a part reported done back, with a note."""

    name: ClassVar[str] = "conclusion.return"
    conclusion_id: Ident
    site: Ident
    note: Text


class NoteMinutes(Command):
    """``minutes.note``: a note of the minutes, tied to a run-script item."""

    name: ClassVar[str] = "minutes.note"
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
    item: Ident | None = None


class EditNote(Command):
    """``minutes.edit``: a new version of a note's text (the old ones are kept)."""

    name: ClassVar[str] = "minutes.edit"
    note_id: Ident
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
