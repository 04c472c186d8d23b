"""The base of every wire command and the types its arguments are made of.

Kept apart from ``commands.py`` (the registry and ``parse_command``) so that the
concept modules' own command files can build on it without an import cycle.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from .model import LINK_STATES, PHASES

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Ident = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Health = Literal["ok", "fail", "unknown"]
Category = Literal["audio", "video", "network", "equipment", "power", "other"]
Severity = Literal["critical", "major", "minor"]
Kind = Literal["speech", "comment", "question"]
Phase = Literal["planned", "rehearsal", "live", "ended"]
LinkState = Literal["unknown", "online", "degraded", "offline"]

assert set(PHASES) == {"planned", "rehearsal", "live", "ended"}
assert set(LINK_STATES) == {"unknown", "online", "degraded", "offline"}


class Command(BaseModel):
    """Base of every command; ``name`` is the protocol name (``"speak.grant"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    name: ClassVar[str] = ""


class SiteCommand(Command):
    """A command about one site; ``site`` is filled in from a ``site`` actor."""

    site: Ident | None = None
