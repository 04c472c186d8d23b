"""Conclusions and their follow-up: added with sites and a deadline, reported on by
each responsible site, accepted or returned by the centre, overdue once at the
deadline; after the conference too; each site sees its own part only."""

from __future__ import annotations

import pytest

from controlroom.domain import next_deadline, state_from_dict, state_to_dict, view, visible
from controlroom.domain.errors import Conflict, Forbidden, InvalidArgs, NotFound
from tests.domain.conftest import (
    ASSISTANT,
    MIN,
    OPERATOR,
    SITE_HCM,
    SITE_HN,
    T0,
    World,
)

DAY = 24 * 60 * MIN


def add(world: World, sites: list[str], deadline: int, text: str = "Báo cáo kết quả") -> str:
    (ev,) = world.do(
        "conclusion.add", {"text": text, "sites": sites, "deadline": deadline}, ASSISTANT
    )
    assert ev.name == "conclusion.added"
    return str(ev.data["conclusion_id"])


def part(world: World, cid: str, site: str) -> dict:
    return world.state.conclusions[cid].parts[site]


def test_a_conclusion_is_followed_to_acceptance_even_after_the_conference(world: World):
    world.do("conference.phase", {"phase": "live"}, OPERATOR)
    world.do("agenda.advance", {}, OPERATOR)
    cid = add(world, ["HN", "HCM", "HN"], T0 + 7 * DAY)
    c = world.state.conclusions[cid]
    assert cid == "K001" and c.sites == ["HN", "HCM"] and c.item == "A1"
    world.do("conference.phase", {"phase": "ended"}, OPERATOR)
    (ev,) = world.do(
        "conclusion.report", {"conclusion_id": cid, "text": "Đã giao Sở", "percent": 40}, SITE_HN
    )
    assert ev.data == {
        "conclusion_id": cid,
        "site": "HN",
        "text": "Đã giao Sở",
        "percent": 40,
        "done": False,
    }
    assert part(world, cid, "HN")["state"] == "in_progress"
    world.do("conclusion.report", {"conclusion_id": cid, "text": "Xong", "done": True}, SITE_HN)
    assert (part(world, cid, "HN")["state"], part(world, cid, "HN")["percent"]) == ("done", 100)
    world.do(
        "conclusion.return", {"conclusion_id": cid, "site": "HN", "note": "Thiếu số liệu"}, OPERATOR
    )
    assert part(world, cid, "HN")["state"] == "in_progress"
    assert part(world, cid, "HN")["note"] == "Thiếu số liệu"
    world.do("conclusion.report", {"conclusion_id": cid, "done": True}, SITE_HN)
    (acc,) = world.do("conclusion.accept", {"conclusion_id": cid, "site": "HN"}, ASSISTANT)
    assert acc.name == "conclusion.accepted" and part(world, cid, "HN")["state"] == "accepted"
    assert world.do("conclusion.accept", {"conclusion_id": cid, "site": "HN"}, ASSISTANT) == []
    with pytest.raises(Conflict) as refused:
        world.do("conclusion.report", {"conclusion_id": cid, "text": "thêm"}, SITE_HN)
    assert refused.value.text_code["code"] == "part_accepted"
    assert part(world, cid, "HCM")["state"] == "open"


def test_a_part_owed_at_its_deadline_falls_overdue_once(world: World):
    cid = add(world, ["HN", "HCM"], T0 + DAY)
    world.do("conclusion.report", {"conclusion_id": cid, "done": True}, SITE_HCM)
    assert next_deadline(world.state) == T0 + DAY
    assert world.tick(T0 + DAY - 1) == []
    (late,) = world.tick(T0 + DAY)
    assert (late.name, late.data) == ("conclusion.overdue", {"conclusion_id": cid, "site": "HN"})
    assert world.tick(T0 + DAY + MIN) == []  # once, and not HCM, which reported it done
    # HCM's part sent back after the deadline is owed again: overdue at once.
    world.do(
        "conclusion.return", {"conclusion_id": cid, "site": "HCM", "note": "Bổ sung"}, OPERATOR
    )
    (again,) = world.tick(world.now)
    assert again.data == {"conclusion_id": cid, "site": "HCM"}
    assert part(world, cid, "HN")["overdue"] and part(world, cid, "HCM")["overdue"]


def test_refusals_say_what_is_wrong(world: World):
    with pytest.raises(InvalidArgs) as past:
        add(world, ["HN"], T0 - 1)
    assert past.value.text_code["code"] == "deadline_past"
    with pytest.raises(NotFound):
        add(world, ["XX"], T0 + DAY)
    cid = add(world, ["HN"], T0 + DAY)
    with pytest.raises(Conflict) as not_theirs:
        world.do("conclusion.report", {"conclusion_id": cid, "percent": 10}, SITE_HCM)
    assert not_theirs.value.text_code["code"] == "not_responsible"
    with pytest.raises(Conflict) as not_done:
        world.do("conclusion.accept", {"conclusion_id": cid, "site": "HN"}, OPERATOR)
    assert not_done.value.text_code["code"] == "part_not_done"
    with pytest.raises(NotFound):
        world.do("conclusion.report", {"conclusion_id": "K999"}, SITE_HN)
    with pytest.raises(Forbidden):
        world.do("conclusion.add", {"text": "x", "sites": ["HN"], "deadline": T0 + DAY}, SITE_HN)
    with pytest.raises(InvalidArgs):
        world.do("conclusion.report", {"conclusion_id": cid, "percent": 101}, SITE_HN)


def test_each_site_sees_its_own_part_and_the_snapshot_round_trips(world: World):
    cid = add(world, ["HN", "HCM"], T0 + DAY)
    world.do("conclusion.report", {"conclusion_id": cid, "percent": 30, "text": "HN"}, SITE_HN)
    added, reported = world.log[-2], world.log[-1]
    assert visible(added.name, added.data, SITE_HCM) and visible(added.name, added.data, ASSISTANT)
    assert visible(reported.name, reported.data, SITE_HN)
    assert not visible(reported.name, reported.data, SITE_HCM)
    hcm = view(world.state, SITE_HCM)["conclusions"]
    assert list(hcm) == [cid] and list(hcm[cid]["parts"]) == ["HCM"]
    assert list(view(world.state, ASSISTANT)["conclusions"][cid]["parts"]) == ["HN", "HCM"]
    from tests.domain.conftest import Actor

    assert view(world.state, Actor("dn", "site", "DN"))["conclusions"] == {}
    assert state_from_dict(state_to_dict(world.state)) == world.state
