"""A thread per site: both sides write, read marks move on, only the site and centre see it."""

from __future__ import annotations

import pytest

from controlroom.domain import view, visible
from controlroom.domain.errors import Forbidden, InvalidArgs, NotFound
from controlroom.domain.state import state_from_dict, state_to_dict
from tests.domain.conftest import ASSISTANT, CHAIR, OPERATOR, SITE_HCM, SITE_HN, World, make_state

PHOTO = "0123456789abcdef0123456789abcdef"


def test_site_and_centre_write_and_each_side_counts_what_it_has_not_read(world: World):
    (first,) = world.do("msg.send", {"text": " Micro bàn chủ tọa bị rè "}, SITE_HN)
    assert first.data == {
        "message_id": "M00001",
        "site": "HN",
        "side": "site",
        "text": "Micro bàn chủ tọa bị rè",
    }
    (photo,) = world.do("msg.send", {"photo": PHOTO}, SITE_HN)
    assert photo.data["photo"] == PHOTO and photo.data["text"] == ""
    thread = world.state.threads["HN"]
    assert thread.unread("centre") == 2 and thread.unread("site") == 0
    (read,) = world.do("msg.read", {"site": "HN", "up_to": "M00001"}, OPERATOR)
    assert read.data == {"site": "HN", "side": "centre", "up_to": "M00001"}
    assert thread.unread("centre") == 1
    assert world.do("msg.read", {"site": "HN", "up_to": "M00001"}, OPERATOR) == []  # read already
    (answer,) = world.do("msg.send", {"site": "HN", "text": "Đã cử kỹ thuật"}, OPERATOR)
    assert answer.data["side"] == "centre"
    # Writing is reading: the centre has read everything up to its own answer.
    assert thread.unread("centre") == 0 and thread.unread("site") == 1
    world.do("msg.read", {"up_to": "M00003"}, SITE_HN)
    assert thread.unread("site") == 0


def test_refusals(world: World):
    with pytest.raises(InvalidArgs) as empty:
        world.do("msg.send", {"text": "   "}, SITE_HN)
    assert empty.value.text_code == {"code": "empty_message"}
    with pytest.raises(InvalidArgs) as bad_photo:
        world.do("msg.send", {"photo": "../../etc/passwd"}, SITE_HN)
    assert bad_photo.value.field == "args.photo"
    with pytest.raises(InvalidArgs):  # the operator must say which site
        world.do("msg.send", {"text": "x"}, OPERATOR)
    with pytest.raises(Forbidden):
        world.do("msg.send", {"site": "HCM", "text": "x"}, SITE_HN)
    with pytest.raises(Forbidden):  # the assistant does not take part in threads
        world.do("msg.send", {"site": "HN", "text": "x"}, ASSISTANT)
    world.do("msg.send", {"text": "x"}, SITE_HN)
    with pytest.raises(NotFound):  # HCM's thread has no such message
        world.do("msg.read", {"up_to": "M00001"}, SITE_HCM)


def test_only_the_site_and_the_centre_see_a_thread(world: World):
    (sent,) = world.do("msg.send", {"text": "x", "photo": PHOTO}, SITE_HN)
    world.do("msg.send", {"text": "y"}, SITE_HCM)
    for viewer, sees in (
        (SITE_HN, True),
        (SITE_HCM, False),
        (ASSISTANT, False),
        (OPERATOR, True),
        (CHAIR, True),
    ):
        assert visible(sent.name, sent.data, viewer) is sees, viewer
    assert list(view(world.state, SITE_HN)["threads"]) == ["HN"]
    assert list(view(world.state, SITE_HCM)["threads"]) == ["HCM"]
    assert view(world.state, ASSISTANT)["threads"] == {}
    assert set(view(world.state, OPERATOR)["threads"]) == {"HN", "HCM"}


def test_threads_survive_a_snapshot():
    world = World(make_state())
    world.do("msg.send", {"text": "x"}, SITE_HN)
    world.do("msg.read", {"site": "HN", "up_to": "M00001"}, OPERATOR)
    restored = state_from_dict(state_to_dict(world.state))
    assert restored == world.state
    (again,) = World(restored).do("msg.send", {"text": "y"}, SITE_HN)
    assert again.data["message_id"] == "M00002"


def test_an_operator_note_marked_for_the_centre_never_reaches_the_site(world: World):
    from tests.domain.conftest import report

    fault = report(world)
    (internal,) = world.do(
        "fault.note", {"fault_id": fault, "text": "Nghi do cáp", "to_site": False}, OPERATOR
    )
    (shared,) = world.do(
        "fault.note", {"fault_id": fault, "text": "Đang kiểm tra", "to_site": True}, OPERATOR
    )
    assert not visible(internal.name, internal.data, SITE_HN)
    assert visible(shared.name, shared.data, SITE_HN)
    site_view = view(world.state, SITE_HN)["faults"][fault]
    assert [n["text"] for n in site_view["notes"]] == ["Đang kiểm tra"]
    assert all(
        h["event"] != "fault.noted" or h.get("internal") is None for h in site_view["history"]
    )
    staff = view(world.state, OPERATOR)["faults"][fault]
    assert [n["text"] for n in staff["notes"]] == ["Nghi do cáp", "Đang kiểm tra"]
