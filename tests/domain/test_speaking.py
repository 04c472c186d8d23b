"""The speaking queue: transitions, positions, the floor, timers."""

from __future__ import annotations

from typing import Any

import pytest

from controlroom.domain import Conflict, NotFound, next_deadline
from controlroom.domain.model import Actor

from .conftest import ADMIN, ASSISTANT, SITE_HCM, SITE_HN, T0, World, make_state, request

SETUP: dict[str, list[tuple[str, dict[str, Any], Actor]]] = {
    "requested": [],
    "approved": [("speak.approve", {}, ASSISTANT)],
    "on_floor": [("speak.grant", {}, ASSISTANT)],
    "ended": [("speak.grant", {}, ASSISTANT), ("speak.end", {}, ASSISTANT)],
    "rejected": [("speak.reject", {"reason": "hết giờ"}, ASSISTANT)],
    "withdrawn": [("speak.withdraw", {}, SITE_HN)],
}
ACTIONS: dict[str, tuple[dict[str, Any], Actor, str, str | None]] = {
    "speak.approve": ({"position": 1}, ASSISTANT, "speak.approved", "approved"),
    "speak.reject": ({"reason": "trùng"}, ASSISTANT, "speak.rejected", "rejected"),
    "speak.move": ({"position": 1}, ASSISTANT, "speak.moved", None),
    "speak.withdraw": ({}, SITE_HN, "speak.withdrawn", "withdrawn"),
    "speak.grant": ({"limit_s": 120}, ASSISTANT, "speak.granted", "on_floor"),
    "speak.extend": ({"add_s": 30}, ASSISTANT, "speak.extended", None),
    "speak.end": ({}, ASSISTANT, "speak.ended", "ended"),
}
ALLOWED = {
    "speak.approve": {"requested"},
    "speak.reject": {"requested", "approved"},
    "speak.move": {"approved"},
    "speak.withdraw": {"requested", "approved"},
    "speak.grant": {"requested", "approved"},
    "speak.extend": {"on_floor"},
    "speak.end": {"on_floor"},
}


def request_in(world: World, state: str) -> str:
    """A request of site HN driven into ``state``."""
    rid = request(world)
    for name, args, actor in SETUP[state]:
        world.do(name, {"request_id": rid, **args}, actor)
    assert world.state.speaking.requests[rid].state == state
    return rid


@pytest.mark.parametrize("state", list(SETUP))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_speaking_transition_table(world: World, state: str, action: str) -> None:
    """Every (state, command) pair emits its event with the site, or is a conflict."""
    rid = request_in(world, state)
    args, actor, event_name, after = ACTIONS[action]
    if state in ALLOWED[action]:
        (event,) = world.do(action, {"request_id": rid, **args}, actor)
        assert event.name == event_name and event.data["site"] == "HN"
        assert world.state.speaking.requests[rid].state == (after or state)
    else:
        with pytest.raises(Conflict) as err:
            world.do(action, {"request_id": rid, **args}, actor)
        assert err.value.code == "conflict" and state in err.value.message


def test_request_event_and_ids(world: World) -> None:
    """speak.requested carries the request; ids count up per conference."""
    args = {
        "speaker": "Bà D",
        "title": "Giám đốc Sở",
        "topic": "Giáo dục",
        "kind": "question",
        "agenda_item": "A2",
    }
    (event,) = world.do("speak.request", args, SITE_HN)
    assert event.data == {"request_id": "R0001", "site": "HN", **args}
    assert request(world, SITE_HCM) == "R0002"


def test_unknown_agenda_item_is_not_found(world: World) -> None:
    """A request tied to a missing agenda item is not_found."""
    args = {"speaker": "A", "title": "T", "topic": "x", "kind": "speech", "agenda_item": "ZZ"}
    with pytest.raises(NotFound) as err:
        world.do("speak.request", args, SITE_HN)
    assert err.value.field == "args.agenda_item"


@pytest.mark.parametrize("again", ["Ông Trần Văn C", "ông  trần văn c", " ÔNG TRẦN VĂN C "])
def test_one_open_request_per_speaker(world: World, again: str) -> None:
    """The same speaker (any case or spacing) cannot hold two open requests at one site."""
    request(world)
    with pytest.raises(Conflict) as err:
        request(world, speaker=again)
    assert err.value.field == "args.speaker"
    assert request(world, SITE_HCM, speaker=again)  # another site may


@pytest.mark.parametrize("closed", ["ended", "rejected", "withdrawn"])
def test_closed_request_frees_the_speaker(world: World, closed: str) -> None:
    """Once a request is closed, the same speaker may ask again."""
    request_in(world, closed)
    assert request(world) == "R0002"


def test_add_is_requested_and_approved_at_the_end(world: World) -> None:
    """speak.add emits requested then approved at the end of the queue."""
    rid = request_in(world, "approved")
    args = {"site": "DN", "speaker": "Ông E", "title": "T", "topic": "x", "kind": "comment"}
    events = world.do("speak.add", args, ASSISTANT)
    assert world.names(events) == ["speak.requested", "speak.approved"]
    assert events[1].data["position"] == 2
    assert world.state.speaking.queue == [rid, "R0002"]
    with pytest.raises(Conflict):
        world.do("speak.add", {**args, "speaker": "ông e"}, ASSISTANT)


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (None, ["R0001", "R0002", "R0003", "R0004"]),
        (1, ["R0004", "R0001", "R0002", "R0003"]),
        (2, ["R0001", "R0004", "R0002", "R0003"]),
        (99, ["R0001", "R0002", "R0003", "R0004"]),
    ],
)
def test_approve_position(world: World, position: int | None, expected: list[str]) -> None:
    """approve inserts at a 1-based position (1 = next), default and overflow at the end."""
    for i in range(3):
        rid = request(world, speaker=f"S{i}")
        world.do("speak.approve", {"request_id": rid}, ASSISTANT)
    rid = request(world, speaker="new")
    args = {"request_id": rid} if position is None else {"request_id": rid, "position": position}
    (event,) = world.do("speak.approve", args, ASSISTANT)
    assert world.state.speaking.queue == expected
    assert event.data["position"] == expected.index(rid) + 1


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (1, ["R0003", "R0001", "R0002"]),
        (2, ["R0001", "R0003", "R0002"]),
        (3, ["R0001", "R0002", "R0003"]),
        (50, ["R0001", "R0002", "R0003"]),
    ],
)
def test_move(world: World, position: int, expected: list[str]) -> None:
    """move puts an approved request at a clamped 1-based position."""
    for i in range(3):
        world.do("speak.approve", {"request_id": request(world, speaker=f"S{i}")}, ASSISTANT)
    (event,) = world.do("speak.move", {"request_id": "R0003", "position": position}, ASSISTANT)
    assert world.state.speaking.queue == expected
    assert event.data["from_position"] == 3


def test_grant_takes_from_queue_with_default_limit(world: World) -> None:
    """grant removes the request from the queue and starts the clock with the default limit."""
    rid = request_in(world, "approved")
    (event,) = world.do("speak.grant", {"request_id": rid}, ASSISTANT, T0 + 1000)
    assert event.data == {
        "request_id": rid,
        "site": "HN",
        "site_name": "Hà Nội",
        "speaker": "Ông Trần Văn C",
        "title": "Phó Chủ tịch",
        "limit_s": 300,
        "granted_at": T0 + 1000,
        "ends_at": T0 + 301_000,
    }
    sp = world.state.speaking
    assert sp.queue == [] and sp.on_floor == [rid]


def test_floor_holds_max_on_floor(world: World) -> None:
    """A second grant conflicts and names who is on the floor; max_on_floor=2 allows it."""
    request_in(world, "on_floor")
    other = request(world, SITE_HCM, "Bà F")
    with pytest.raises(Conflict, match="Ông Trần Văn C"):
        world.do("speak.grant", {"request_id": other}, ASSISTANT)
    roomy = World(make_state(max_on_floor=2))
    request_in(roomy, "on_floor")
    assert roomy.names(
        roomy.do("speak.grant", {"request_id": request(roomy, SITE_HCM)}, ASSISTANT)
    ) == ["speak.granted"]


def test_extend_and_end(world: World) -> None:
    """extend adds to the limit; end records whole seconds since the grant."""
    rid = request_in(world, "approved")
    world.do("speak.grant", {"request_id": rid, "limit_s": 60}, ASSISTANT, T0)
    (ext,) = world.do("speak.extend", {"request_id": rid, "add_s": 30}, ASSISTANT, T0 + 5000)
    assert (ext.data["limit_s"], ext.data["ends_at"]) == (90, T0 + 90_000)
    (end,) = world.do("speak.end", {"request_id": rid}, ASSISTANT, T0 + 75_999)
    assert end.data == {
        "request_id": rid,
        "site": "HN",
        "speaker": "Ông Trần Văn C",
        "duration_s": 75,
    }
    assert world.state.speaking.on_floor == []


@pytest.mark.parametrize(("limit_s", "warn_after_s"), [(300, 240), (120, 60), (119, 59.5), (10, 5)])
def test_warning_and_overrun_timers(world: World, limit_s: int, warn_after_s: float) -> None:
    """Warning one minute before the end (half the limit under two minutes), overrun at it."""
    rid = request_in(world, "approved")
    world.do("speak.grant", {"request_id": rid, "limit_s": limit_s}, ASSISTANT, T0)
    warn_at = T0 + int(warn_after_s * 1000)
    assert next_deadline(world.state) == warn_at
    assert world.tick(warn_at - 1) == []
    (warning,) = world.tick(warn_at)
    assert warning.name == "speak.warning" and warning.data["site"] == "HN"
    assert next_deadline(world.state) == T0 + limit_s * 1000
    assert world.tick(T0 + limit_s * 1000 - 1) == []
    (overrun,) = world.tick(T0 + limit_s * 1000)
    assert overrun.name == "speak.overrun"
    assert world.tick(T0 + 10**8) == [] and next_deadline(world.state) is None


def test_late_tick_emits_both_once(world: World) -> None:
    """A tick after both times emits warning and overrun together, once."""
    rid = request_in(world, "approved")
    world.do("speak.grant", {"request_id": rid, "limit_s": 300}, ASSISTANT, T0)
    assert world.names(world.tick(T0 + 400_000)) == ["speak.warning", "speak.overrun"]
    assert world.tick(T0 + 500_000) == []


def test_extend_rearms_timers(world: World) -> None:
    """After an overrun, extending re-arms the warning and the overrun for the new end."""
    rid = request_in(world, "approved")
    world.do("speak.grant", {"request_id": rid, "limit_s": 300}, ASSISTANT, T0)
    world.tick(T0 + 300_000)
    world.do("speak.extend", {"request_id": rid, "add_s": 120}, ASSISTANT, T0 + 301_000)
    assert next_deadline(world.state) == T0 + 360_000
    assert world.names(world.tick(T0 + 360_000)) == ["speak.warning"]
    assert world.names(world.tick(T0 + 420_000)) == ["speak.overrun"]


def test_ending_clears_timers(world: World) -> None:
    """A speaker who ends in time leaves no timer behind."""
    rid = request_in(world, "on_floor")
    world.do("speak.end", {"request_id": rid}, ASSISTANT, T0 + 1000)
    assert next_deadline(world.state) is None


@pytest.mark.parametrize("state", ["requested", "approved"])
def test_site_cannot_withdraw_another_sites_request(world: World, state: str) -> None:
    """Another site's request is not_found for a site; admin may withdraw it."""
    rid = request_in(world, state)
    with pytest.raises(NotFound) as err:
        world.do("speak.withdraw", {"request_id": rid}, SITE_HCM)
    assert err.value.code == "not_found" and err.value.field == "args.request_id"
    assert world.names(world.do("speak.withdraw", {"request_id": rid}, ADMIN)) == [
        "speak.withdrawn"
    ]
    assert world.state.speaking.queue == []


@pytest.mark.parametrize("action", list(ACTIONS))
def test_unknown_request_is_not_found(world: World, action: str) -> None:
    """Every speaking command on a missing id is not_found."""
    args, actor, _, _ = ACTIONS[action]
    with pytest.raises(NotFound):
        world.do(action, {"request_id": "R0099", **args}, actor)
