"""Who sees what: event filtering per role and per-viewer snapshots."""

from __future__ import annotations

import json

import pytest

from controlroom.domain import SYSTEM, Actor, Event, apply, view, visible

from .conftest import ADMIN, ASSISTANT, CHAIR, OPERATOR, SITE_HCM, SITE_HN, T0, World, request

EVENTS = [
    ("conference.phase", {"phase": "live"}),
    ("agenda.started", {"item_id": "A1", "site": "TW"}),
    ("link.changed", {"site": "HN", "to": "offline"}),
    ("site.checked_in", {"site": "HN"}),
    ("fault.reported", {"fault_id": "F0001", "site": "HN"}),
    ("speak.requested", {"request_id": "R0001", "site": "HN"}),
    ("speak.granted", {"request_id": "R0001", "site": "HN"}),
    ("speak.ended", {"request_id": "R0001", "site": "HN"}),
    ("speak.warning", {"request_id": "R0001", "site": "HN"}),
    ("testcall.result", {"call": "c", "site": "HN"}),
    ("campaign.progress", {"done": 1, "site": "HN"}),
]
# viewer -> names it sees of the events above
SEES = {
    "assistant": {
        "conference.phase",
        "agenda.started",
        "link.changed",
        "site.checked_in",
        "speak.requested",
        "speak.granted",
        "speak.ended",
        "speak.warning",
    },
    "own site": {e for e, _ in EVENTS} - {"campaign.progress"},
    "other site": {"conference.phase", "agenda.started", "speak.granted", "speak.ended"},
}
VIEWERS = {"assistant": ASSISTANT, "own site": SITE_HN, "other site": SITE_HCM}


@pytest.mark.parametrize(("name", "data"), EVENTS)
@pytest.mark.parametrize("viewer", [ADMIN, OPERATOR, CHAIR, SYSTEM])
def test_full_viewers_see_everything(name: str, data: dict[str, object], viewer: Actor) -> None:
    """admin, operator, chair (and the hub) see every event."""
    assert visible(name, data, viewer)


@pytest.mark.parametrize(("name", "data"), EVENTS)
@pytest.mark.parametrize("who", list(SEES))
def test_restricted_viewers(name: str, data: dict[str, object], who: str) -> None:
    """The assistant and sites see exactly the events PROTOCOL.md lists for them."""
    assert visible(name, data, VIEWERS[who]) == (name in SEES[who])


def test_unknown_role_sees_only_public_events() -> None:
    """A role the protocol does not know sees only conference and agenda events."""
    stranger = Actor("x", "guest")
    assert visible("conference.phase", {}, stranger)
    assert not visible("speak.granted", {"site": "HN"}, stranger)


def populated() -> World:
    """A conference with faults, requests, a speaker on the floor and test results."""
    from .conftest import make_state, report

    world = World(make_state())
    report(world, SITE_HN)
    report(world, SITE_HCM)
    r1 = request(world, SITE_HN)
    r2 = request(world, SITE_HCM, "Bà G")
    r3 = request(world, SITE_HCM, "Ông H")
    world.do("speak.approve", {"request_id": r1}, ASSISTANT)
    world.do("speak.approve", {"request_id": r2}, ASSISTANT)
    world.do("speak.grant", {"request_id": r3}, ASSISTANT)
    for i, site in enumerate(("HN", "HCM")):
        apply(
            world.state,
            Event(
                100 + i,
                T0,
                "testcall.result",
                SYSTEM,
                {"call": f"c{i}", "site": site, "verdict": "pass", "metrics": {}, "reasons": []},
            ),
        )
    return world


def test_operator_snapshot_is_complete_and_json() -> None:
    """An operator's snapshot has every section, every site, fault, request and result."""
    snap = view(populated().state, OPERATOR)
    json.dumps(snap)
    assert set(snap) >= {"conference", "sites", "faults", "speaking", "agenda", "testcalls"}
    assert set(snap["sites"]) == {"TW", "HN", "HCM", "DN"}
    assert set(snap["faults"]) == {"F0001", "F0002"}
    assert snap["speaking"]["queue"] == ["R0001", "R0002"]
    assert snap["speaking"]["on_floor"] == "R0003"
    assert set(snap["testcalls"]) == {"HN", "HCM"}
    site = snap["sites"]["HN"]
    assert set(site) >= {"code", "name", "kind", "link", "checked_in", "status"}
    assert set(site["link"]) >= {"state", "rtt_ms", "jitter_ms", "loss_pct", "since"}


def test_assistant_snapshot_has_no_faults_or_testcalls() -> None:
    """The assistant sees sites and the whole queue but no faults or test calls."""
    snap = view(populated().state, ASSISTANT)
    assert snap["faults"] == {} and snap["testcalls"] == {}
    assert snap["speaking"]["queue"] == ["R0001", "R0002"]
    assert len(snap["sites"]) == 4


def test_site_snapshot_holds_only_its_own() -> None:
    """A site sees its own site, faults, results and requests, plus the public floor."""
    snap = view(populated().state, SITE_HN)
    json.dumps(snap)
    assert set(snap["sites"]) == {"HN"}
    assert set(snap["faults"]) == {"F0001"}
    assert set(snap["testcalls"]) == {"HN"}
    assert snap["speaking"]["queue"] == ["R0001"]
    assert set(snap["speaking"]["requests"]) == {"R0001", "R0003"}
    floor = snap["speaking"]["requests"]["R0003"]
    assert floor["speaker"] == "Ông H" and "topic" not in floor
    assert snap["speaking"]["on_floor"] == "R0003"


def test_snapshot_is_a_copy() -> None:
    """Changing a snapshot does not change the state."""
    world = populated()
    before = view(world.state, OPERATOR)
    snap = view(world.state, OPERATOR)
    snap["sites"]["HN"]["link"]["state"] = "offline"
    snap["testcalls"]["HN"]["metrics"]["x"] = 1
    snap["faults"]["F0001"]["notes"].append({})
    assert view(world.state, OPERATOR) == before
