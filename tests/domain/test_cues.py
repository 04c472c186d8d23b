"""Cues ("you are next"): before a site's item, when it is next, for the queue's head."""

from __future__ import annotations

import pytest

from controlroom.domain import next_deadline, view, visible
from controlroom.domain.errors import NotFound
from tests.domain.conftest import (
    ASSISTANT,
    MIN,
    OPERATOR,
    SITE_HCM,
    SITE_HN,
    T0,
    World,
    request,
)


def live(world: World) -> None:
    world.do("conference.phase", {"phase": "live"}, OPERATOR, now=T0 - 30 * MIN)


def test_no_cue_before_the_conference_is_under_way(world: World):
    world.now = T0 + 9 * MIN  # HN's item A2 is planned at T0+10 min
    assert world.tick(world.now) == []
    assert next_deadline(world.state) is None or next_deadline(world.state) > world.now


def test_a_site_is_cued_lead_minutes_before_its_item_then_when_it_is_next(world: World):
    live(world)
    # Lead 5 minutes: A2 (HN, T0+10) falls due at T0+5; the central item A1 never.
    assert next_deadline(world.state) == T0 + 5 * MIN
    assert world.tick(T0 + 4 * MIN) == []
    (soon,) = world.tick(T0 + 5 * MIN)
    assert soon.name == "cue.sent"
    assert soon.data == {
        "cue_id": "Q0001",
        "site": "HN",
        "item_id": "A2",
        "starts_at": T0 + 10 * MIN,
        "reason": "soon",
        "link": "unknown",
    }
    assert world.tick(T0 + 6 * MIN) == []  # once
    events = world.do("agenda.start", {"item_id": "A1"}, OPERATOR, now=T0 + 7 * MIN)
    assert world.names(events) == ["agenda.started"]
    (nxt,) = world.tick(world.now)
    assert (
        nxt.data["reason"] == "next"
        and nxt.data["item_id"] == "A2"
        and nxt.data["cue_id"] == "Q0002"
    )
    world.do("agenda.advance", {}, OPERATOR, now=T0 + 11 * MIN)  # A2 runs: A3 has no site
    assert world.tick(world.now) == []


def test_an_item_that_is_next_first_gets_one_cue(world: World):
    live(world)
    world.do("agenda.start", {"item_id": "A1"}, OPERATOR, now=T0)
    (nxt,) = world.tick(T0)
    assert nxt.data["reason"] == "next"
    assert world.tick(T0 + 6 * MIN) == []  # no "soon" after "next"


def test_the_queue_head_is_cued_once_and_the_site_answers(world: World):
    live(world)
    world.now = T0 - 20 * MIN
    first, second = request(world), request(world, SITE_HCM, "Bà D")
    world.do("speak.approve", {"request_id": first}, ASSISTANT)
    world.do("speak.approve", {"request_id": second}, ASSISTANT)
    (cue,) = world.tick(world.now)
    assert cue.data == {
        "cue_id": "Q0001",
        "site": "HN",
        "request_id": first,
        "reason": "speaker",
        "link": "unknown",
    }
    assert world.tick(world.now) == []
    world.do("speak.grant", {"request_id": first}, ASSISTANT)  # HCM is the head now
    (cue2,) = world.tick(world.now)
    assert cue2.data["site"] == "HCM" and cue2.data["request_id"] == second
    (answered,) = world.do("cue.answer", {"cue_id": "Q0002", "ready": True}, SITE_HCM)
    assert answered.data == {"cue_id": "Q0002", "site": "HCM", "ready": True}
    assert world.do("cue.answer", {"cue_id": "Q0002", "ready": True}, SITE_HCM) == []
    (changed,) = world.do("cue.answer", {"cue_id": "Q0002", "ready": False}, SITE_HCM)
    assert world.state.cues["Q0002"].ready is False
    with pytest.raises(NotFound):  # HN's cue does not exist for HCM
        world.do("cue.answer", {"cue_id": "Q0001", "ready": True}, SITE_HCM)
    assert visible(cue2.name, cue2.data, SITE_HCM) and not visible(cue2.name, cue2.data, SITE_HN)
    assert visible(cue2.name, cue2.data, ASSISTANT)
    assert list(view(world.state, SITE_HN)["cues"]) == ["Q0001"]
    assert set(view(world.state, OPERATOR)["cues"]) == {"Q0001", "Q0002"}


def test_behind_schedule_only_the_near_items_are_cued():
    from controlroom.domain import AgendaItem, Settings, initial_state
    from tests.domain.conftest import CONFERENCE, SITES

    sites = ["HN", "HCM", "DN", "HN", "HCM"]
    agenda = [
        AgendaItem(f"B{i}", i, T0 + i * MIN, 1, f"Mục {i}", site=code)
        for i, code in enumerate(sites, 1)
    ]
    world = World(initial_state(CONFERENCE, Settings(), SITES, agenda))
    live(world)
    # An hour late: every item is overdue, but only the next two are told.
    cues = world.tick(T0 + 60 * MIN)
    assert [(c.data["item_id"], c.data["reason"]) for c in cues] == [("B1", "soon"), ("B2", "soon")]
    world.do("agenda.start", {"item_id": "B1"}, OPERATOR)
    cues = world.tick(world.now)  # B2 is next (told soon already); B3 is now near
    assert [(c.data["item_id"], c.data["reason"]) for c in cues] == [("B2", "next"), ("B3", "soon")]
