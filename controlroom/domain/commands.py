"""Commands: what an actor asks for, validated once at the edge.

Each wire command of PROTOCOL.md ("Commands of version 1") is a frozen pydantic
model (``extra="forbid"``, strict types) registered in :data:`COMMANDS` with the
roles that may issue it (``admin`` may issue every command; ``chair`` none).
:func:`parse_command` turns ``(name, args, actor)`` into one of these models or
raises:

- :class:`UnknownCommand` for a name not in :data:`COMMANDS`;
- :class:`Forbidden` when the actor's role may not issue it, or when a ``site``
  actor names another site;
- :class:`InvalidArgs` with ``field`` = ``"args." + the dotted pydantic location``
  (``"args.speaker"``, ``"args.sites.2"``); ``"args"`` when args is not a map.

Text is stripped; names, titles, speaker, technician, phone and assignee are at
most 200 characters, descriptions, notes, reasons and texts at most 2000; a
required text must not be empty after stripping.

Commands that concern one site (``site.checkin``, ``site.status``, ``fault.report``,
``speak.request``) carry ``site``: a ``site`` actor's own site is filled in, and
an explicit other site is Forbidden; any other actor must pass ``site``.

The hub's own commands (timers, the link monitor, the test-call runner) are in
``system_commands.py``: issued by ``SYSTEM`` only, never parsed from the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import Field, ValidationError

from .command_base import (
    Category,
    Command,
    Health,
    Ident,
    LinkState,
    Name,
    OptName,
    OptText,
    Phase,
    Severity,
    SiteCommand,
    Text,
)
from .errors import Forbidden, InvalidArgs, UnknownCommand
from .model import Actor
from .paper_commands import (
    AcceptPart,
    AddConclusion,
    EditNote,
    NoteMinutes,
    ReportProgress,
    ReturnPart,
)
from .speak_commands import (
    AddSpeaker,
    ApproveSpeak,
    EndFloor,
    ExtendFloor,
    GrantFloor,
    MoveSpeak,
    RejectSpeak,
    RequestSpeak,
    WithdrawSpeak,
)
from .talk_commands import (
    AnswerCue,
    ReadAnnouncement,
    ReadMessages,
    SendAnnouncement,
    SendMessage,
)

__all__ = [
    "RequestSpeak",
    "WithdrawSpeak",
    "ApproveSpeak",
    "RejectSpeak",
    "MoveSpeak",
    "GrantFloor",
    "ExtendFloor",
    "EndFloor",
    "AddSpeaker",
    "AnswerCue",
    "Command",
    "Ident",
    "LinkState",
    "OptText",
    "OptName",
    "ReadAnnouncement",
    "ReadMessages",
    "SendAnnouncement",
    "SendMessage",
    "SiteCommand",
]


# --- sites -----------------------------------------------------------------------------------


class CheckIn(SiteCommand):
    """``site.checkin``: the site's technician reports present (and the roll call)."""

    name: ClassVar[str] = "site.checkin"
    technician: Name
    phone: Name
    delegates: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class ReportStatus(SiteCommand):
    """``site.status``: the site's own view of its audio and video."""

    name: ClassVar[str] = "site.status"
    audio: Health
    video: Health
    note: OptText = ""


# --- faults ----------------------------------------------------------------------------------


class ReportFault(SiteCommand):
    """``fault.report``: open a fault for a site."""

    name: ClassVar[str] = "fault.report"
    category: Category
    severity: Severity
    description: Text


class AckFault(Command):
    """``fault.ack``: the centre has seen the fault."""

    name: ClassVar[str] = "fault.ack"
    fault_id: Ident
    note: OptText = ""


class AssignFault(Command):
    """``fault.assign``: name who works on the fault."""

    name: ClassVar[str] = "fault.assign"
    fault_id: Ident
    assignee: Name


class NoteFault(Command):
    """``fault.note``: add a note to the fault's record."""

    name: ClassVar[str] = "fault.note"
    fault_id: Ident
    text: Text
    #: [ext] False: a note for the centre only. True by default, as PROTOCOL.md has a
    #: site see every event about itself.
    to_site: bool = True


class ResolveFault(Command):
    """``fault.resolve``: the centre says the fault is fixed."""

    name: ClassVar[str] = "fault.resolve"
    fault_id: Ident
    resolution: Text


FaultIds = Annotated[list[Ident], Field(min_length=1, max_length=500)]


class AckFaults(Command):
    """``fault.ack_many`` [ext]: acknowledge several faults in one step (an incident's)."""

    name: ClassVar[str] = "fault.ack_many"
    fault_ids: FaultIds
    note: OptText = ""


class ResolveFaults(Command):
    """``fault.resolve_many`` [ext]: resolve several faults with one resolution."""

    name: ClassVar[str] = "fault.resolve_many"
    fault_ids: FaultIds
    resolution: Text


class ConfirmFault(Command):
    """``fault.confirm``: the site agrees its fault is fixed."""

    name: ClassVar[str] = "fault.confirm"
    fault_id: Ident


class ReopenFault(Command):
    """``fault.reopen``: the site says its resolved fault is not fixed."""

    name: ClassVar[str] = "fault.reopen"
    fault_id: Ident
    note: Text


# --- agenda ----------------------------------------------------------------------------------


class StartAgendaItem(Command):
    """``agenda.start``: the run-script jumps to an item."""

    name: ClassVar[str] = "agenda.start"
    item_id: Ident


class AdvanceAgenda(Command):
    """``agenda.advance``: finish the current item and start the next."""

    name: ClassVar[str] = "agenda.advance"


class FinishAgenda(Command):
    """``agenda.finish``: finish the current item."""

    name: ClassVar[str] = "agenda.finish"


# --- test calls and conference ---------------------------------------------------------------


class StartTestCall(Command):
    """``testcall.start``: call one site (run by the service's media runner)."""

    name: ClassVar[str] = "testcall.start"
    site: Ident


class StartCampaign(Command):
    """``testcall.campaign``: call all (or some) sites with bounded concurrency."""

    name: ClassVar[str] = "testcall.campaign"
    sites: Annotated[list[Ident], Field(max_length=10_000)] | None = None
    concurrency: Annotated[int, Field(ge=1, le=64)] | None = None


class CancelTestCall(Command):
    """``testcall.cancel``: stop one call, or every running call."""

    name: ClassVar[str] = "testcall.cancel"
    call: Ident | None = None


class SetPhase(Command):
    """``conference.phase``: move the conference to another phase."""

    name: ClassVar[str] = "conference.phase"
    phase: Phase


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A wire command: its model and the roles that may issue it."""

    model: type[Command]
    roles: frozenset[str]


def _spec(model: type[Command], *roles: str) -> tuple[str, CommandSpec]:
    return model.name, CommandSpec(model, frozenset((*roles, "admin")))


COMMANDS: dict[str, CommandSpec] = dict(
    [
        _spec(CheckIn, "site"),
        _spec(ReportStatus, "site"),
        _spec(ReportFault, "site", "operator"),
        _spec(ConfirmFault, "site"),
        _spec(ReopenFault, "site"),
        _spec(RequestSpeak, "site"),
        _spec(WithdrawSpeak, "site"),
        _spec(AckFault, "operator"),
        _spec(AssignFault, "operator"),
        _spec(NoteFault, "operator"),
        _spec(ResolveFault, "operator"),
        _spec(AckFaults, "operator"),
        _spec(ResolveFaults, "operator"),
        _spec(StartAgendaItem, "operator"),
        _spec(AdvanceAgenda, "operator"),
        _spec(FinishAgenda, "operator"),
        _spec(StartTestCall, "operator"),
        _spec(StartCampaign, "operator"),
        _spec(CancelTestCall, "operator"),
        _spec(SetPhase, "operator"),
        _spec(ApproveSpeak, "assistant"),
        _spec(RejectSpeak, "assistant"),
        _spec(MoveSpeak, "assistant"),
        _spec(GrantFloor, "assistant"),
        _spec(ExtendFloor, "assistant"),
        _spec(EndFloor, "assistant"),
        _spec(AddSpeaker, "assistant"),
        _spec(SendAnnouncement, "operator", "assistant"),
        _spec(ReadAnnouncement, "site"),
        _spec(SendMessage, "site", "operator"),
        _spec(ReadMessages, "site", "operator"),
        _spec(AnswerCue, "site"),
        _spec(AddConclusion, "operator", "assistant"),
        _spec(ReportProgress, "site", "operator", "assistant"),
        _spec(AcceptPart, "operator", "assistant"),
        _spec(ReturnPart, "operator", "assistant"),
        _spec(NoteMinutes, "operator", "assistant"),
        _spec(EditNote, "operator", "assistant"),
    ]
)


def _invalid(exc: ValidationError) -> InvalidArgs:
    err = exc.errors()[0]
    path = ".".join(str(part) for part in ("args", *err["loc"]))
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "this argument is not known for this command"
    elif err["type"] == "missing":
        msg = "this argument is required"
    return InvalidArgs(
        f"Invalid argument {path}: {msg}.", field=path, text="bad_value", field_name=path
    )


def parse_command(name: str, args: dict[str, Any], actor: Actor) -> Command:
    """Validate a wire command for ``actor``; raise a :class:`DomainError` if refused."""
    spec = COMMANDS.get(name)
    if spec is None:
        raise UnknownCommand(f"There is no command named {name!r}.")
    if actor.role not in spec.roles:
        raise Forbidden(
            f"The {actor.role} role may not issue {name}.", text="role_forbidden", role=actor.role
        )
    if not isinstance(args, dict):
        raise InvalidArgs(
            "The command's args must be a map.", field="args", text="bad_value", field_name="args"
        )
    if actor.role == "site":
        own = actor.site
        if own is None:
            raise Forbidden("This site account is not bound to a site.", text="site_unbound")
        if issubclass(spec.model, SiteCommand):
            given = args.get("site")
            if given is not None and (not isinstance(given, str) or given.strip() != own):
                raise Forbidden(
                    f"Site {own} may act only for itself, not for {given!r}.",
                    text="site_only_self",
                    site=own,
                )
            args = {**args, "site": own}
    try:
        command = spec.model.model_validate(args)
    except ValidationError as exc:
        raise _invalid(exc) from None
    if isinstance(command, SiteCommand) and command.site is None:
        raise InvalidArgs(
            f"Invalid argument args.site: {name} needs the site it concerns.",
            field="args.site",
            text="needs_site",
        )
    return command
