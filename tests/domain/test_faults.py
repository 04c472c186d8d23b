"""Faults: the transition table, site ownership, records, escalation."""

from __future__ import annotations

from typing import Any

import pytest

from controlroom.domain import Conflict, NotFound, next_deadline
from controlroom.domain.model import Actor

from .conftest import ADMIN, OPERATOR, SITE_HCM, SITE_HN, T0, World, make_state, report

# how to drive a fresh fault into each state
SETUP: dict[str, list[tuple[str, dict[str, Any], Actor]]] = {
    "open": [],
    "acknowledged": [("fault.ack", {}, OPERATOR)],
    "resolved": [("fault.resolve", {"resolution": "cáp"}, OPERATOR)],
    "confirmed": [
        ("fault.resolve", {"resolution": "cáp"}, OPERATOR),
        ("fault.confirm", {}, SITE_HN),
    ],
    "reopened": [
        ("fault.resolve", {"resolution": "cáp"}, OPERATOR),
        ("fault.reopen", {"note": "vẫn mất"}, SITE_HN),
    ],
}
ACTIONS: dict[str, tuple[dict[str, Any], Actor, str, str | None]] = {
    # command: (args, actor, event, state after; None = unchanged)
    "fault.ack": ({"note": "đã nhận"}, OPERATOR, "fault.acknowledged", "acknowledged"),
    "fault.assign": ({"assignee": "Kỹ thuật 2"}, OPERATOR, "fault.assigned", None),
    "fault.note": ({"text": "gọi lại"}, OPERATOR, "fault.noted", None),
    "fault.resolve": ({"resolution": "thay cáp"}, OPERATOR, "fault.resolved", "resolved"),
    "fault.confirm": ({}, SITE_HN, "fault.confirmed", "confirmed"),
    "fault.reopen": ({"note": "lại mất"}, SITE_HN, "fault.reopened", "reopened"),
}
ALLOWED = {
    "fault.ack": {"open", "reopened"},
    "fault.assign": {"open", "acknowledged", "reopened"},
    "fault.note": {"open", "acknowledged", "resolved", "confirmed", "reopened"},
    "fault.resolve": {"open", "acknowledged", "reopened"},
    "fault.confirm": {"resolved"},
    "fault.reopen": {"resolved"},
}


def fault_in(world: World, state: str) -> str:
    """A fault of site HN driven into ``state``."""
    fault_id = report(world)
    for name, args, actor in SETUP[state]:
        world.do(name, {"fault_id": fault_id, **args}, actor)
    assert world.state.faults[fault_id].state == state
    return fault_id


@pytest.mark.parametrize("state", list(SETUP))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_fault_transition_table(world: World, state: str, action: str) -> None:
    """Every (state, command) pair emits its event with the site, or is a conflict."""
    fault_id = fault_in(world, state)
    args, actor, event_name, after = ACTIONS[action]
    if state in ALLOWED[action]:
        (event,) = world.do(action, {"fault_id": fault_id, **args}, actor, T0 + 1000)
        assert event.name == event_name
        assert event.data["fault_id"] == fault_id and event.data["site"] == "HN"
        assert world.state.faults[fault_id].state == (after or state)
        assert world.state.faults[fault_id].history[-1]["event"] == event_name
    else:
        with pytest.raises(Conflict) as err:
            world.do(action, {"fault_id": fault_id, **args}, actor)
        assert err.value.code == "conflict" and state in err.value.message


def test_report_records_everything(world: World) -> None:
    """fault.reported carries id, site, category, severity, description; ids count up."""
    args = {"category": "video", "severity": "critical", "description": "Mất hình"}
    (event,) = world.do("fault.report", args, SITE_HN)
    assert event.data == {"fault_id": "F0001", "site": "HN", **args}
    fault = world.state.faults["F0001"]
    assert (fault.state, fault.reported_at, fault.reported_by) == ("open", T0, "hn")
    assert report(world, SITE_HCM) == "F0002"


def test_timestamps_notes_and_assignee(world: World) -> None:
    """ack, assign, note, resolve, confirm stamp their times and keep notes in order."""
    fid = report(world)
    world.do("fault.ack", {"fault_id": fid, "note": "đã nhận"}, OPERATOR, T0 + 10)
    world.do("fault.assign", {"fault_id": fid, "assignee": "Minh"}, OPERATOR, T0 + 20)
    world.do("fault.note", {"fault_id": fid, "text": "đang kiểm tra"}, OPERATOR, T0 + 30)
    world.do("fault.resolve", {"fault_id": fid, "resolution": "thay mic"}, OPERATOR, T0 + 40)
    world.do("fault.confirm", {"fault_id": fid}, SITE_HN, T0 + 50)
    f = world.state.faults[fid]
    assert (f.acknowledged_at, f.assignee, f.resolved_at, f.confirmed_at) == (
        T0 + 10,
        "Minh",
        T0 + 40,
        T0 + 50,
    )
    assert f.resolution == "thay mic"
    assert [(n["at"], n["account"], n["text"]) for n in f.notes] == [
        (T0 + 10, "op1", "đã nhận"),
        (T0 + 30, "op1", "đang kiểm tra"),
    ]
    assert [h["state"] for h in f.history] == [
        "open",
        "acknowledged",
        "acknowledged",
        "acknowledged",
        "resolved",
        "confirmed",
    ]


@pytest.mark.parametrize("action", ["fault.confirm", "fault.reopen"])
def test_site_cannot_touch_another_sites_fault(world: World, action: str) -> None:
    """Another site's fault is not_found for a site, exactly like a missing one."""
    fid = fault_in(world, "resolved")
    args, _, _, _ = ACTIONS[action]
    with pytest.raises(NotFound) as err:
        world.do(action, {"fault_id": fid, **args}, SITE_HCM)
    with pytest.raises(NotFound) as missing:
        world.do(action, {"fault_id": "F9999", **args}, SITE_HCM)
    assert err.value.code == "not_found" and err.value.field == "args.fault_id"
    assert err.value.message.replace(fid, "?") == missing.value.message.replace("F9999", "?")


def test_admin_may_confirm_any_fault(world: World) -> None:
    """admin can do what a site does, for any site."""
    fid = fault_in(world, "resolved")
    assert world.names(world.do("fault.confirm", {"fault_id": fid}, ADMIN)) == ["fault.confirmed"]


@pytest.mark.parametrize("action", list(ACTIONS))
def test_unknown_fault_is_not_found(world: World, action: str) -> None:
    """Every fault command on a missing id is not_found."""
    args, actor, _, _ = ACTIONS[action]
    with pytest.raises(NotFound):
        world.do(action, {"fault_id": "F0042", **args}, actor)


def test_critical_open_fault_escalates_once(world: World) -> None:
    """A critical fault never acknowledged escalates at escalate_after_s, exactly once."""
    fid = report(world, severity="critical")
    due = T0 + 60_000
    assert next_deadline(world.state) == due
    assert world.tick(due - 1) == []
    (event,) = world.tick(due)
    assert event.name == "fault.escalated"
    assert event.data == {"fault_id": fid, "site": "HN", "severity": "critical", "after_s": 60}
    assert world.state.faults[fid].escalated
    assert world.tick(due + 60_000) == [] and next_deadline(world.state) is None


def test_escalation_uses_settings() -> None:
    """escalate_after_s comes from the conference settings."""
    world = World(make_state(escalate_after_s=5))
    report(world, severity="critical")
    assert next_deadline(world.state) == T0 + 5000


@pytest.mark.parametrize("severity", ["major", "minor"])
def test_only_critical_faults_escalate(world: World, severity: str) -> None:
    """Major and minor faults never escalate."""
    report(world, severity=severity)
    assert next_deadline(world.state) is None and world.tick(T0 + 10**7) == []


@pytest.mark.parametrize("state", ["acknowledged", "resolved", "reopened"])
def test_handled_faults_do_not_escalate(world: World, state: str) -> None:
    """A critical fault acknowledged or resolved in time never escalates."""
    fid = report(world, severity="critical")
    for name, args, actor in SETUP[state]:
        world.do(name, {"fault_id": fid, **args}, actor)
    assert next_deadline(world.state) is None and world.tick(T0 + 10**7) == []
