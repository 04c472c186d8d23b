"""Announcements: to every bridge site, a region or a list; read marks once per site."""

from __future__ import annotations

import pytest

from controlroom.domain import view
from controlroom.domain.errors import Conflict, NotFound
from controlroom.domain.state import state_from_dict, state_to_dict
from tests.domain.conftest import ASSISTANT, OPERATOR, SITE_HCM, SITE_HN, World, make_state


def test_an_announcement_goes_to_every_bridge_site_and_is_read_once(world: World):
    (sent,) = world.do("announce.send", {"text": "  Chuẩn bị kết nối lại lúc 13:30 "}, OPERATOR)
    assert sent.name == "announce.sent"
    assert sent.data == {
        "announcement_id": "A0001",
        "text": "Chuẩn bị kết nối lại lúc 13:30",
        "sites": ["HN", "HCM", "DN"],  # not the central site
        "region": None,
    }
    (read,) = world.do("announce.read", {"announcement_id": "A0001"}, SITE_HN)
    assert read.data == {"announcement_id": "A0001", "site": "HN"}
    assert world.do("announce.read", {"announcement_id": "A0001"}, SITE_HN) == []
    assert world.state.announcements["A0001"].read == {"HN": world.now}


def test_a_region_or_a_list_and_their_refusals(world: World):
    (by_region,) = world.do("announce.send", {"text": "Miền Nam", "region": "Nam"}, ASSISTANT)
    assert by_region.data["sites"] == ["HCM"] and by_region.data["region"] == "Nam"
    (listed,) = world.do("announce.send", {"text": "Hai", "sites": ["DN", "HN", "DN"]}, OPERATOR)
    assert listed.data["sites"] == ["DN", "HN"] and listed.data["region"] is None
    with pytest.raises(NotFound) as err:
        world.do("announce.send", {"text": "x", "sites": ["HN", "XX"]}, OPERATOR)
    assert err.value.field == "args.sites.1"
    with pytest.raises(Conflict):
        world.do("announce.send", {"text": "x", "region": "Tây"}, OPERATOR)


def test_a_site_sees_only_what_was_sent_to_it_and_its_own_read_mark(world: World):
    world.do("announce.send", {"text": "Hai", "sites": ["HN", "DN"]}, OPERATOR)
    world.do("announce.send", {"text": "Miền Nam", "region": "Nam"}, OPERATOR)
    world.do("announce.read", {"announcement_id": "A0001"}, SITE_HN)
    with pytest.raises(NotFound):  # not sent to HCM: it does not exist for HCM
        world.do("announce.read", {"announcement_id": "A0001"}, SITE_HCM)
    hn, hcm = view(world.state, SITE_HN), view(world.state, SITE_HCM)
    assert list(hn["announcements"]) == ["A0001"]
    assert hn["announcements"]["A0001"]["sites"] == ["HN"]
    assert list(hcm["announcements"]) == ["A0002"] and hcm["announcements"]["A0002"]["read"] == {}
    staff = view(world.state, OPERATOR)["announcements"]
    assert staff["A0001"]["sites"] == ["HN", "DN"] and set(staff["A0001"]["read"]) == {"HN"}


def test_announcements_survive_a_snapshot():
    world = World(make_state())
    world.do("announce.send", {"text": "Hai"}, OPERATOR)
    world.do("announce.read", {"announcement_id": "A0001"}, SITE_HN)
    restored = state_from_dict(state_to_dict(world.state))
    assert restored == world.state
    (again,) = World(restored).do("announce.send", {"text": "Ba"}, OPERATOR)
    assert again.data["announcement_id"] == "A0002"
