"""The minutes: notes tied to the run-script item, edits kept as versions, seen by
the central team and the assistant only, written after the meeting too."""

from __future__ import annotations

import pytest

from controlroom.domain import state_from_dict, state_to_dict, view, visible
from controlroom.domain.errors import Forbidden, NotFound
from tests.domain.conftest import ASSISTANT, CHAIR, MIN, OPERATOR, SITE_HN, T0, World


def test_a_note_takes_the_current_item_and_keeps_every_version(world: World):
    world.do("conference.phase", {"phase": "live"}, OPERATOR)
    world.do("agenda.advance", {}, OPERATOR)
    (ev,) = world.do("minutes.note", {"text": "Đồng chí Chủ tịch khai mạc"}, ASSISTANT)
    assert ev.data == {"note_id": "N0001", "item": "A1", "text": "Đồng chí Chủ tịch khai mạc"}
    world.do("conference.phase", {"phase": "ended"}, OPERATOR, now=T0 + 60 * MIN)
    (edit,) = world.do(
        "minutes.edit", {"note_id": "N0001", "text": "Đồng chí Chủ tịch UBND khai mạc"}, OPERATOR
    )
    assert edit.name == "minutes.edited"
    assert (
        world.do(
            "minutes.edit",
            {"note_id": "N0001", "text": "Đồng chí Chủ tịch UBND khai mạc"},
            OPERATOR,
        )
        == []
    )
    note = view(world.state, ASSISTANT)["minutes"]["N0001"]
    assert note["text"] == "Đồng chí Chủ tịch UBND khai mạc" and note["account"] == "tk1"
    assert [(v["text"], v["account"]) for v in note["versions"]] == [
        ("Đồng chí Chủ tịch khai mạc", "tk1"),
        ("Đồng chí Chủ tịch UBND khai mạc", "op1"),
    ]
    (later,) = world.do("minutes.note", {"text": "Bế mạc", "item": "A3"}, ASSISTANT)
    assert later.data["note_id"] == "N0002" and later.data["item"] == "A3"
    assert state_from_dict(state_to_dict(world.state)) == world.state


def test_the_minutes_are_for_the_centre_and_the_assistant(world: World):
    (ev,) = world.do("minutes.note", {"text": "Ghi chú"}, ASSISTANT)
    assert ev.data["item"] is None  # nothing runs yet
    assert visible(ev.name, ev.data, ASSISTANT) and visible(ev.name, ev.data, CHAIR)
    assert not visible(ev.name, ev.data, SITE_HN)
    assert "minutes" not in view(world.state, SITE_HN)
    with pytest.raises(Forbidden):
        world.do("minutes.note", {"text": "x"}, SITE_HN)
    with pytest.raises(NotFound):
        world.do("minutes.edit", {"note_id": "N0099", "text": "x"}, ASSISTANT)
    with pytest.raises(NotFound):
        world.do("minutes.note", {"text": "x", "item": "ZZ"}, ASSISTANT)
