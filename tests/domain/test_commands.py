"""Parsing wire commands: names, roles, argument validation, the site binding."""

from __future__ import annotations

from typing import Any

import pytest

from controlroom.domain import (
    COMMANDS,
    SYSTEM,
    Actor,
    CheckIn,
    Forbidden,
    InvalidArgs,
    LinkChange,
    ReportFault,
    Tick,
    UnknownCommand,
    decide,
    parse_command,
)
from controlroom.domain.model import ROLES

from .conftest import ADMIN, ASSISTANT, CHAIR, OPERATOR, SITE_HN, make_state

# The conclusions' follow-up: the central team and the assistant (the secretary).
PAPERWORK = {
    "conclusion.add",
    "conclusion.report",
    "conclusion.accept",
    "conclusion.return",
    "minutes.note",
    "minutes.edit",
}
SITE_CMDS = {
    "conclusion.report",
    "site.checkin",
    "site.status",
    "fault.report",
    "fault.confirm",
    "fault.reopen",
    "speak.request",
    "speak.withdraw",
    "announce.read",
    "msg.send",
    "msg.read",
    "cue.answer",
}
OPERATOR_CMDS = {
    "fault.report",
    "fault.ack",
    "fault.assign",
    "fault.note",
    "fault.resolve",
    "fault.ack_many",
    "fault.resolve_many",
    "agenda.start",
    "agenda.advance",
    "agenda.finish",
    "testcall.start",
    "testcall.campaign",
    "testcall.cancel",
    "conference.phase",
    "announce.send",
    "msg.send",
    "msg.read",
    *PAPERWORK,
}
ASSISTANT_CMDS = {
    "speak.approve",
    "speak.reject",
    "speak.move",
    "speak.grant",
    "speak.extend",
    "speak.end",
    "speak.add",
    "announce.send",
    *PAPERWORK,
}
ALLOWED = {
    "site": SITE_CMDS,
    "operator": OPERATOR_CMDS,
    "assistant": ASSISTANT_CMDS,
    "chair": set(),
    "bridge": set(),  # a bridge only posts link samples
    "admin": SITE_CMDS | OPERATOR_CMDS | ASSISTANT_CMDS,
}


def test_command_table_is_the_protocol_list() -> None:
    """COMMANDS holds exactly the wire commands (version 1 and the bulk fault steps)."""
    assert set(COMMANDS) == ALLOWED["admin"]


@pytest.mark.parametrize("name", sorted(ALLOWED["admin"]))
@pytest.mark.parametrize("role", ROLES)
def test_roles_per_command(name: str, role: str) -> None:
    """Each command is open to exactly the roles PROTOCOL.md names (admin: all, chair: none)."""
    assert (role in COMMANDS[name].roles) == (name in ALLOWED[role])
    if name not in ALLOWED[role]:
        actor = Actor("x", role, "HN" if role == "site" else None)
        with pytest.raises(Forbidden) as err:
            parse_command(name, {}, actor)
        assert err.value.code == "forbidden"


@pytest.mark.parametrize("name", ["tick", "link.change", "speak.fly", "", "fault"])
def test_unknown_commands(name: str) -> None:
    """Names outside the wire table, including the hub's own commands, are unknown_command."""
    with pytest.raises(UnknownCommand) as err:
        parse_command(name, {}, ADMIN)
    assert err.value.code == "unknown_command"


GOOD = {"speaker": "An", "title": "Chủ tịch", "topic": "Y tế", "kind": "speech"}

INVALID: list[tuple[str, dict[str, Any], Actor, str]] = [
    (
        "fault.report",
        {"category": "fire", "severity": "major", "description": "x"},
        SITE_HN,
        "args.category",
    ),
    (
        "fault.report",
        {"category": "audio", "severity": "high", "description": "x"},
        SITE_HN,
        "args.severity",
    ),
    (
        "fault.report",
        {"category": "audio", "severity": "major", "description": "   "},
        SITE_HN,
        "args.description",
    ),
    ("fault.report", {"category": "audio", "severity": "major"}, SITE_HN, "args.description"),
    (
        "fault.report",
        {"category": "audio", "severity": "major", "description": "x" * 2001},
        SITE_HN,
        "args.description",
    ),
    (
        "fault.report",
        {"category": "audio", "severity": "major", "description": "x", "zz": 1},
        SITE_HN,
        "args.zz",
    ),
    (
        "fault.report",
        {"category": "audio", "severity": "major", "description": "x"},
        OPERATOR,
        "args.site",
    ),
    ("site.checkin", {"technician": "A", "phone": "1", "delegates": -1}, SITE_HN, "args.delegates"),
    (
        "site.checkin",
        {"technician": "A", "phone": "1", "delegates": "5"},
        SITE_HN,
        "args.delegates",
    ),
    ("site.checkin", {"technician": "A" * 201, "phone": "1"}, SITE_HN, "args.technician"),
    ("site.checkin", {"technician": "A", "phone": "1"}, ADMIN, "args.site"),
    ("site.status", {"audio": "good", "video": "ok"}, SITE_HN, "args.audio"),
    ("speak.request", {**GOOD, "speaker": ""}, SITE_HN, "args.speaker"),
    ("speak.request", {**GOOD, "speaker": "x" * 201}, SITE_HN, "args.speaker"),
    ("speak.request", {**GOOD, "kind": "song"}, SITE_HN, "args.kind"),
    ("speak.request", {**GOOD, "topic": 5}, SITE_HN, "args.topic"),
    ("speak.approve", {"request_id": "R0001", "position": 0}, ASSISTANT, "args.position"),
    ("speak.grant", {"request_id": "R0001", "limit_s": 9}, ASSISTANT, "args.limit_s"),
    ("speak.grant", {"request_id": "R0001", "limit_s": 7201}, ASSISTANT, "args.limit_s"),
    ("speak.grant", {"request_id": "R0001", "limit_s": True}, ASSISTANT, "args.limit_s"),
    ("speak.extend", {"request_id": "R0001", "add_s": 0}, ASSISTANT, "args.add_s"),
    ("speak.extend", {"request_id": "R0001", "add_s": 3601}, ASSISTANT, "args.add_s"),
    ("speak.reject", {"request_id": "R0001", "reason": ""}, ASSISTANT, "args.reason"),
    ("speak.move", {"request_id": "R0001"}, ASSISTANT, "args.position"),
    ("speak.add", {**GOOD}, ASSISTANT, "args.site"),
    ("fault.reopen", {"fault_id": "F0001"}, SITE_HN, "args.note"),
    ("fault.assign", {"fault_id": "F0001", "assignee": "y" * 201}, OPERATOR, "args.assignee"),
    ("fault.note", {"fault_id": "F0001", "text": "y" * 2001}, OPERATOR, "args.text"),
    ("fault.resolve", {"fault_id": "F0001"}, OPERATOR, "args.resolution"),
    ("conference.phase", {"phase": "over"}, OPERATOR, "args.phase"),
    ("agenda.advance", {"item_id": "A1"}, OPERATOR, "args.item_id"),
    ("testcall.campaign", {"sites": ["HN", ""]}, OPERATOR, "args.sites.1"),
    ("testcall.campaign", {"concurrency": 0}, OPERATOR, "args.concurrency"),
]


@pytest.mark.parametrize(("name", "args", "actor", "field"), INVALID)
def test_invalid_args_name_the_field(
    name: str, args: dict[str, Any], actor: Actor, field: str
) -> None:
    """Each malformed argument is invalid_args with the dotted field path."""
    with pytest.raises(InvalidArgs) as err:
        parse_command(name, args, actor)
    assert err.value.code == "invalid_args"
    assert err.value.field == field
    assert field in err.value.message


def test_args_must_be_a_map() -> None:
    """A non-map args is invalid_args on the field ``args``."""
    with pytest.raises(InvalidArgs) as err:
        parse_command("agenda.advance", [], OPERATOR)  # type: ignore[arg-type]
    assert err.value.field == "args"


def test_text_is_stripped_and_bounds_hold_after_stripping() -> None:
    """Whitespace is stripped; 200 characters (plus padding) is the limit for names."""
    cmd = parse_command("speak.request", {**GOOD, "speaker": "  " + "a" * 200 + " "}, SITE_HN)
    assert cmd.speaker == "a" * 200  # type: ignore[attr-defined]
    desc = {"category": "audio", "severity": "minor", "description": "d" * 2000}
    assert parse_command("fault.report", desc, SITE_HN).description == "d" * 2000  # type: ignore[attr-defined]


def test_site_actor_gets_its_own_site() -> None:
    """A site's command carries the site's own code without naming it."""
    cmd = parse_command("site.checkin", {"technician": "A", "phone": "1"}, SITE_HN)
    assert isinstance(cmd, CheckIn) and cmd.site == "HN" and cmd.delegates is None
    same = parse_command("site.checkin", {"technician": "A", "phone": "1", "site": "HN"}, SITE_HN)
    assert same == cmd


def test_site_actor_naming_another_site_is_forbidden() -> None:
    """A site naming another site is forbidden, not silently corrected."""
    args = {"category": "audio", "severity": "minor", "description": "x", "site": "HCM"}
    with pytest.raises(Forbidden) as err:
        parse_command("fault.report", args, SITE_HN)
    assert err.value.code == "forbidden"


def test_unbound_site_account_is_forbidden() -> None:
    """A site account with no site may not issue site commands."""
    with pytest.raises(Forbidden):
        parse_command("site.status", {"audio": "ok", "video": "ok"}, Actor("x", "site", None))


def test_operator_reports_for_a_named_site() -> None:
    """The operator's fault.report carries the site it names."""
    args = {"site": "HCM", "category": "power", "severity": "critical", "description": "x"}
    cmd = parse_command("fault.report", args, OPERATOR)
    assert isinstance(cmd, ReportFault) and cmd.site == "HCM"


def test_commands_are_frozen() -> None:
    """A parsed command cannot be changed afterwards."""
    cmd = parse_command("conference.phase", {"phase": "live"}, OPERATOR)
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError
        cmd.phase = "ended"  # type: ignore[misc]


def test_system_commands_only_from_system() -> None:
    """Tick and LinkChange are refused for any actor but the hub itself."""
    state = make_state()
    for actor in (ADMIN, OPERATOR, CHAIR):
        with pytest.raises(Forbidden):
            decide(state, Tick(), actor, 0)
        with pytest.raises(Forbidden):
            decide(state, LinkChange(site="HN", to="offline"), actor, 0)
    assert decide(state, Tick(), SYSTEM, 0) == []


def test_decide_rechecks_roles_and_site() -> None:
    """decide refuses a directly built command the actor could not have parsed."""
    state = make_state()
    checkin = CheckIn(site="HCM", technician="A", phone="1")
    with pytest.raises(Forbidden):
        decide(state, checkin, SITE_HN, 0)
    with pytest.raises(Forbidden):
        decide(state, checkin, ASSISTANT, 0)
    with pytest.raises(Forbidden):
        decide(state, checkin, SYSTEM, 0)


def test_error_to_wire() -> None:
    """A refusal renders as the protocol's code, message and field, and its text code."""
    with pytest.raises(InvalidArgs) as err:
        parse_command("conference.phase", {}, OPERATOR)
    assert err.value.to_wire() == {
        "code": "invalid_args",
        "message": err.value.message,
        "field": "args.phase",
        "text_code": {"code": "bad_value", "field_name": "args.phase"},
    }
